package dev.tollgate.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A directory laid out and updated the way the kubelet updates a mounted Secret or ConfigMap:
 * {@code dir/..2026_11_30_21_00_00.N/NAME} holds the files, {@code dir/..data} links to that
 * directory, {@code dir/NAME} links to {@code ..data/NAME}. An update writes a new timestamped
 * directory, renames a new link over {@code ..data} (one atomic step) and removes the old
 * directory. No file a reader opens is ever written in place.
 */
public final class K8sVolume {
  private final Path dir;
  private int generation;
  private Path current;

  /** The volume at {@code dir} (created if absent), empty until the first {@link #publish}. */
  public K8sVolume(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code dir/name}: the path a pod reads. */
  public Path file(String name) {
    return dir.resolve(name);
  }

  /** Replaces the volume's contents with {@code files} (name → text), the kubelet's way. */
  public void publish(Map<String, String> files) {
    try {
      Path next = dir.resolve("..2026_11_30_21_00_00." + ++generation);
      Files.createDirectory(next);
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(next.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
      }
      Path tmp = dir.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, next.getFileName());
      Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
      for (String name : files.keySet()) {
        Path link = dir.resolve(name);
        if (!Files.isSymbolicLink(link)) {
          Files.createSymbolicLink(link, Path.of("..data", name));
        }
      }
      if (current != null) {
        try (Stream<Path> old = Files.walk(current)) {
          for (Path p : old.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      current = next;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
