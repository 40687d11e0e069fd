// The tests' Java 17 ZIP readers, from java.util.zip:
//
//   ZipReaders stream < archive   ZipInputStream, front to back from standard
//                                 input: local headers, data and descriptors
//   ZipReaders file ARCHIVE       ZipFile: the central directory, then each
//                                 entry's data through it
//
// Prints one JSON object per entry on standard output, as soon as the entry's
// data has been read to its end, its CRC-32 computed chunk by chunk from the
// bytes the reader hands out (never held whole), as "contentCrc32", an
// unsigned decimal number; "crc32" is what the entry declares.
// On an exception, prints `Class: message` on standard error, after the
// entries read before it, and exits with code 3.

import java.io.BufferedInputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

public final class ZipReaders {
  private static final byte[] BUFFER = new byte[1 << 16];

  public static void main(String[] args) {
    Writer out = new BufferedWriter(
        new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    int code = 0;
    try {
      if (args.length == 1 && args[0].equals("stream")) {
        readStream(out);
      } else if (args.length == 2 && args[0].equals("file")) {
        readFile(args[1], out);
      } else {
        System.err.println("usage: ZipReaders stream < ARCHIVE | ZipReaders file ARCHIVE");
        code = 2;
      }
    } catch (Throwable error) {
      System.err.println(error.getClass().getName() + ": " + error.getMessage());
      code = 3;
    }
    try {
      out.flush();
    } catch (IOException error) {
      code = 4;
    }
    System.exit(code);
  }

  private static void readStream(Writer out) throws IOException {
    ZipInputStream zip = new ZipInputStream(
        new BufferedInputStream(System.in, 1 << 16), StandardCharsets.UTF_8);
    for (ZipEntry entry; (entry = zip.getNextEntry()) != null;) {
      Read read = read(zip);
      // Once the data is read, the entry holds the CRC and sizes of the
      // descriptor, or of the local header when there is none.
      write(out, entry, read);
    }
  }

  private static void readFile(String path, Writer out) throws IOException {
    try (ZipFile zip = new ZipFile(path, StandardCharsets.UTF_8)) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        Read read;
        try (InputStream data = zip.getInputStream(entry)) {
          read = read(data);
        }
        // ZipFile takes the CRC and sizes from the central directory.
        write(out, entry, read);
      }
    }
  }

  private record Read(long size, long contentCrc32) {}

  /** Reads to the end, taking the CRC-32 of the bytes as it goes. */
  private static Read read(InputStream data) throws IOException {
    CRC32 crc = new CRC32();
    long size = 0;
    for (int count; (count = data.read(BUFFER)) != -1;) {
      crc.update(BUFFER, 0, count);
      size += count;
    }
    return new Read(size, crc.getValue());
  }

  private static void write(Writer out, ZipEntry entry, Read read) throws IOException {
    out.write("{\"name\":");
    quote(out, entry.getName());
    out.write(",\"isDirectory\":" + entry.isDirectory()
        + ",\"size\":" + read.size()
        + ",\"contentCrc32\":" + read.contentCrc32()
        + ",\"crc32\":" + entry.getCrc()
        + ",\"declaredSize\":" + entry.getSize()
        + ",\"compressedSize\":" + entry.getCompressedSize()
        + ",\"method\":" + entry.getMethod()
        + "}\n");
  }

  private static void quote(Writer out, String text) throws IOException {
    out.write('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.write('\\');
        out.write(c);
      } else if (c < 0x20 || Character.isSurrogate(c) && !validSurrogate(text, i)) {
        out.write(String.format("\\u%04x", (int) c));
      } else {
        out.write(c);
      }
    }
    out.write('"');
  }

  private static boolean validSurrogate(String text, int i) {
    char c = text.charAt(i);
    return Character.isHighSurrogate(c)
        ? i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))
        : i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
  }
}
