package dev.shard4j.models.text;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Extracts the regular files of an npm package tarball (a gzipped ustar archive whose entries all
 * sit under one top folder, {@code package/}) into a directory, without that top folder. Only what
 * npm writes is accepted: regular files and directories with checksummed ustar headers; any other
 * entry, an entry whose path leaves the directory, or a truncated archive is an error.
 */
final class NpmTarball {
  private static final int BLOCK = 512;

  private NpmTarball() {
  }

  /**
   * Extracts the archive.
   *
   * @param tgz the .tgz file
   * @param into an existing, empty directory
   * @return the number of files written
   * @throws IOException naming the archive when it cannot be read or holds an entry not accepted
   */
  static int extract(Path tgz, Path into) throws IOException {
    int files = 0;
    try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz)), 1 << 16)) {
      byte[] header = new byte[BLOCK];
      while (true) {
        if (!readBlock(in, header, tgz)) {
          // GNU tar ends with zero blocks; an archive that simply stops after an entry is accepted too.
          return files;
        }
        if (isZero(header)) {
          return files;
        }
        checkChecksum(header, tgz);
        String name = name(header);
        long size = octal(header, 124, 12, tgz, name);
        byte type = header[156];
        if (type == '0' || type == 0) {
          Path target = into.resolve(relative(name, tgz));
          Files.createDirectories(target.getParent());
          try (OutputStream out = Files.newOutputStream(target)) {
            copy(in, out, size, tgz, name);
          }
          files++;
        } else if (type == '5') {
          // Directories are made as their files need them; an empty one is of no use.
          skip(in, size, tgz, name);
        } else {
          throw new IOException(tgz + ": tar entry " + name + " has type '" + (char) type
              + "'; only regular files and directories are accepted");
        }
        skip(in, (BLOCK - size % BLOCK) % BLOCK, tgz, name);
      }
    } catch (ZipException e) {
      throw new IOException(tgz + " is not a valid gzip file: " + e.getMessage(), e);
    }
  }

  /**
   * An entry's path without npm's top folder, checked to stay inside the target directory.
   *
   * @param name the entry name as stored
   * @param tgz the archive, for messages
   * @return the relative path, never empty
   * @throws IOException when the name is absolute, climbs with "..", or has nothing below the top folder
   */
  static String relative(String name, Path tgz) throws IOException {
    if (name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0) {
      throw new IOException(tgz + ": unsafe tar entry name " + name);
    }
    String[] parts = name.split("/");
    StringBuilder path = new StringBuilder();
    for (int i = 1; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new IOException(tgz + ": unsafe tar entry name " + name);
      }
      if (!path.isEmpty()) {
        path.append('/');
      }
      path.append(part);
    }
    if (path.isEmpty() || parts[0].isEmpty() || parts[0].equals("..")) {
      throw new IOException(tgz + ": tar entry " + name + " is not inside a package folder");
    }
    return path.toString();
  }

  private static String name(byte[] header) {
    String name = cString(header, 0, 100);
    // ustar splits long paths into a prefix and a name.
    if (cString(header, 257, 5).equals("ustar")) {
      String prefix = cString(header, 345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
    }
    return name;
  }

  private static void checkChecksum(byte[] header, Path tgz) throws IOException {
    long stored = octal(header, 148, 8, tgz, cString(header, 0, 100));
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xFF);
    }
    if (sum != stored) {
      throw new IOException(tgz + ": corrupt tar header (checksum " + sum + ", stored " + stored + ")");
    }
  }

  private static long octal(byte[] header, int offset, int length, Path tgz, String name) throws IOException {
    long value = 0;
    boolean digits = false;
    for (int i = offset; i < offset + length; i++) {
      int c = header[i] & 0xFF;
      if (c == 0 || (c == ' ' && digits)) {
        break;
      }
      if (c == ' ') {
        continue;
      }
      if (c < '0' || c > '7') {
        throw new IOException(tgz + ": tar entry " + name + " has a malformed numeric field");
      }
      value = value * 8 + (c - '0');
      digits = true;
    }
    return value;
  }

  private static String cString(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.UTF_8);
  }

  private static boolean readBlock(InputStream in, byte[] block, Path tgz) throws IOException {
    int n = in.readNBytes(block, 0, BLOCK);
    if (n == 0) {
      return false;
    }
    if (n < BLOCK) {
      throw new EOFException(tgz + ": truncated tar header");
    }
    return true;
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static void copy(InputStream in, OutputStream out, long size, Path tgz, String name) throws IOException {
    byte[] buffer = new byte[1 << 16];
    long left = size;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new EOFException(tgz + ": truncated tar entry " + name);
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  private static void skip(InputStream in, long size, Path tgz, String name) throws IOException {
    long left = size;
    while (left > 0) {
      long n = in.skip(left);
      if (n <= 0) {
        if (in.read() < 0) {
          throw new EOFException(tgz + ": truncated tar entry " + name);
        }
        n = 1;
      }
      left -= n;
    }
  }
}
