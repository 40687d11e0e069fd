// Reads a ZIP archive with Java's own java.util.zip, for the tests: either
// front to back from standard input with ZipInputStream (local headers and
// data descriptors only, as a network consumer reads), or through the
// central directory with ZipFile. Prints one JSON object per entry on
// standard output as it goes; on an exception, prints its class and message
// on standard error and exits 3, so the entries read before it are known.

import java.io.BufferedInputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

public final class ZipReaders {
  private static final int CHUNK = 1 << 20;
  private static final byte[] BUFFER = new byte[CHUNK];

  public static void main(String[] args) throws Exception {
    BufferedWriter out = new BufferedWriter(
        new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    try {
      if (args.length == 1 && args[0].equals("stream")) {
        readStream(out);
      } else if (args.length == 2 && args[0].equals("file")) {
        readFile(args[1], out);
      } else {
        System.err.println("usage: ZipReaders stream < archive | ZipReaders file PATH");
        System.exit(2);
      }
    } catch (Exception error) {
      out.flush();
      System.err.println(error.getClass().getName() + ": " + error.getMessage());
      System.exit(3);
    }
    out.flush();
  }

  private static void readStream(BufferedWriter out) throws Exception {
    try (ZipInputStream zip = new ZipInputStream(
        new BufferedInputStream(System.in, CHUNK), StandardCharsets.UTF_8)) {
      for (ZipEntry entry; (entry = zip.getNextEntry()) != null;) {
        Digest digest = digest(zip);
        // The sizes and CRC are known once the entry is read to its end.
        line(out, entry, digest, entry.getCrc(), entry.getCompressedSize());
      }
    }
  }

  private static void readFile(String path, BufferedWriter out) throws Exception {
    try (ZipFile zip = new ZipFile(path, StandardCharsets.UTF_8)) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        Digest digest;
        try (InputStream in = zip.getInputStream(entry)) {
          digest = digest(in);
        }
        line(out, entry, digest, entry.getCrc(), entry.getCompressedSize());
      }
    }
  }

  private record Digest(long size, String sha256) {}

  private static Digest digest(InputStream in) throws IOException, NoSuchAlgorithmException {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long size = 0;
    for (int read; (read = in.read(BUFFER)) != -1;) {
      sha.update(BUFFER, 0, read);
      size += read;
    }
    StringBuilder hex = new StringBuilder();
    for (byte b : sha.digest()) hex.append(String.format("%02x", b));
    return new Digest(size, hex.toString());
  }

  private static void line(BufferedWriter out, ZipEntry entry, Digest digest,
      long crc, long compressedSize) throws IOException {
    out.write("{\"name\":" + quote(entry.getName())
        + ",\"isDirectory\":" + entry.isDirectory()
        + ",\"size\":" + digest.size()
        + ",\"declaredSize\":" + entry.getSize()
        + ",\"compressedSize\":" + compressedSize
        + ",\"crc32\":" + crc
        + ",\"method\":" + entry.getMethod()
        + ",\"sha256\":\"" + digest.sha256() + "\"}\n");
  }

  private static String quote(String text) {
    StringBuilder quoted = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        quoted.append('\\').append(c);
      } else if (c < 0x20) {
        quoted.append(String.format("\\u%04x", (int) c));
      } else {
        quoted.append(c);
      }
    }
    return quoted.append('"').toString();
  }
}
