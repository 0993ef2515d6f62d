package dev.shard4j.bindings;

import java.time.Duration;
import java.util.Arrays;

/**
 * Every tunable of shard4j, declared once with its name and default. A value is read from the
 * Java system property of the same name first, then from the environment, else the default.
 * {@code ./shard4j info} prints them all. Reading is thread-safe and never cached, so tests
 * may set system properties.
 */
public enum Setting {
  /** Seconds after which every blocking wait (stream sync, collectives, rendezvous) gives up. */
  TIMEOUT("SHARD4J_TIMEOUT", "300", "seconds before any blocking wait fails"),
  /** Comma-separated debug switches: "allocations" records allocation sites for leak reports. */
  DEBUG("SHARD4J_DEBUG", "", "debug switches: allocations, collectives"),
  /** Reports tensors that were garbage-collected without close() (costs a Cleaner per tensor). */
  LEAK_TRACKING("SHARD4J_LEAK_TRACKING", "false", "report tensors collected without close()"),
  /** Host blocks of 2 MiB and more are aligned to 2 MiB and backed by transparent huge pages. */
  HUGE_PAGES("SHARD4J_HUGE_PAGES", "true", "back host blocks of 2 MiB and more with transparent huge pages");

  private final String key;
  private final String defaultValue;
  private final String description;
  /** The environment cannot change while the JVM runs: read once, off the allocation path. */
  private final String fromEnvironment;

  Setting(String key, String defaultValue, String description) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.description = description;
    this.fromEnvironment = System.getenv(key);
  }

  /**
   * The name used in the environment and as system property.
   *
   * @return e.g. SHARD4J_TIMEOUT
   */
  public String key() {
    return key;
  }

  /**
   * The value in force when nothing sets it.
   *
   * @return the default, as text
   */
  public String defaultValue() {
    return defaultValue;
  }

  /**
   * One line on what it does.
   *
   * @return the description
   */
  public String description() {
    return description;
  }

  /**
   * The value in force now.
   *
   * @return the system property, else the environment variable, else the default
   */
  public String value() {
    String v = System.getProperty(key);
    if (v == null) {
      v = fromEnvironment;
    }
    return v == null ? defaultValue : v.trim();
  }

  /**
   * Where the value in force comes from.
   *
   * @return "system property", "environment" or "default"
   */
  public String source() {
    if (System.getProperty(key) != null) {
      return "system property";
    }
    return fromEnvironment != null ? "environment" : "default";
  }

  /**
   * The value as a boolean (true, 1, yes, on).
   *
   * @return the flag
   */
  public boolean asBoolean() {
    String v = value();
    return v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes")
        || v.equalsIgnoreCase("on");
  }

  /**
   * The value as seconds.
   *
   * @return the duration
   * @throws IllegalStateException naming the setting when the value is not a positive number
   */
  public Duration asSeconds() {
    try {
      double seconds = Double.parseDouble(value());
      if (seconds > 0 && Double.isFinite(seconds)) {
        return Duration.ofNanos((long) (seconds * 1e9));
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalStateException(key + "=" + value() + " is not a positive number of seconds");
  }

  /**
   * Whether a comma-separated list value names a switch.
   *
   * @param name the switch, e.g. "allocations"
   * @return true when listed
   */
  public boolean has(String name) {
    String v = value();
    if (v.isEmpty()) {
      return false;
    }
    return Arrays.stream(v.split(",")).map(String::trim).anyMatch(name::equalsIgnoreCase);
  }
}
