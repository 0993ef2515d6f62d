package dev.shard4j.cli;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.CudaReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The checks of flag values that every command runs before it starts any work, each failing with
 * one line that names the flag and what it accepts ("--ranks must be at least 1, got 0"). A
 * command runs its checks through {@link #checked}, which makes a refused value picocli's usage
 * error: exit code 2, the line and a hint, no stack trace.
 */
public final class Flags {
  private Flags() {}

  /**
   * Runs a command's checks of its flags.
   *
   * @param spec the command, for the usage error
   * @param checks the checks, throwing {@link IllegalArgumentException} with the line to print
   * @param <T> what the checks return
   * @return what the checks returned
   * @throws CommandLine.ParameterException when a check refuses a value
   */
  public static <T> T checked(CommandSpec spec, Supplier<T> checks) {
    try {
      return checks.get();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /**
   * An int value with a lower bound.
   *
   * @param flag the flag, as the user types it
   * @param value its value
   * @param min the smallest allowed
   * @return the value
   * @throws IllegalArgumentException when the value is below min
   */
  public static int atLeast(String flag, int value, int min) {
    atLeast(flag, (long) value, min);
    return value;
  }

  /**
   * A long value with a lower bound.
   *
   * @param flag the flag, as the user types it
   * @param value its value
   * @param min the smallest allowed
   * @return the value
   * @throws IllegalArgumentException when the value is below min
   */
  public static long atLeast(String flag, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(flag + " must be at least " + min + ", got " + value);
    }
    return value;
  }

  /**
   * A value within bounds.
   *
   * @param flag the flag, as the user types it
   * @param value its value
   * @param min the smallest allowed
   * @param max the largest allowed
   * @return the value
   * @throws IllegalArgumentException naming the bound the value crosses
   */
  public static int inRange(String flag, int value, int min, int max) {
    atLeast(flag, value, min);
    if (value > max) {
      throw new IllegalArgumentException(flag + " must be at most " + max + ", got " + value);
    }
    return value;
  }

  /**
   * One of a fixed set of names, matched without regard to case.
   *
   * @param flag the flag, as the user types it, or what a positional parameter names (operation)
   * @param value its value
   * @param choices every accepted name (lower case) and what it stands for, in the order to list
   *     them; of names that stand for the same thing (aliases) only the first is listed
   * @param <T> what the names stand for
   * @return what the value stands for
   * @throws IllegalArgumentException listing the valid names
   */
  public static <T> T oneOf(String flag, String value, Map<String, T> choices) {
    T chosen = choices.get(value.toLowerCase(Locale.ROOT));
    if (chosen != null) {
      return chosen;
    }
    List<T> listed = new ArrayList<>();
    List<String> names = new ArrayList<>();
    choices.forEach((name, meaning) -> {
      if (!listed.contains(meaning)) {
        listed.add(meaning);
        names.add(name);
      }
    });
    String unknown = flag.startsWith("-") ? flag + ": unknown value '" + value + "'" : "unknown " + flag + " '" + value + "'";
    throw new IllegalArgumentException(unknown + "; valid: " + String.join(", ", names));
  }

  /**
   * A file to write at the end of a run, refused at the start when its directory is not there.
   *
   * @param flag the flag, as the user types it
   * @param file the file, or null when the flag is not given
   * @return the file
   * @throws IllegalArgumentException when the file's directory does not exist
   */
  public static Path writableFile(String flag, Path file) {
    Path dir = file == null ? null : file.toAbsolutePath().getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(flag + " " + file + ": directory " + dir + " does not exist");
    }
    return file;
  }

  /**
   * Names that stand for themselves, for {@link #oneOf}.
   *
   * @param names the names, lower case, in the order to list them
   * @return each name mapped to itself
   */
  public static Map<String, String> names(String... names) {
    Map<String, String> map = new LinkedHashMap<>();
    for (String name : names) {
      map.put(name, name);
    }
    return map;
  }

  /**
   * What keeps CUDA ranks from running here, if anything: too few devices (and why there are
   * none), or NCCL or cuBLAS not loaded.
   *
   * @param devices the devices needed (cuda:0 to cuda:devices-1)
   * @param nccl whether NCCL is needed
   * @param cublas whether cuBLAS is needed
   * @return the problem, to follow "needs ..., but ", or empty when all is there
   */
  public static Optional<String> cudaProblem(int devices, boolean nccl, boolean cublas) {
    CudaReport cuda = Cuda.probe();
    if (cuda.deviceCount() == 0) {
      return Optional.of("there is no usable CUDA device here: " + cuda.reason());
    }
    if (cuda.deviceCount() < devices) {
      return Optional.of("this machine has " + cuda.deviceCount() + " CUDA device(s)");
    }
    if (nccl && !cuda.nccl().loaded()) {
      return Optional.of("NCCL did not load: " + cuda.nccl().detail());
    }
    if (cublas && !cuda.cublas().loaded()) {
      return Optional.of("cuBLAS did not load: " + cuda.cublas().detail());
    }
    return Optional.empty();
  }
}
