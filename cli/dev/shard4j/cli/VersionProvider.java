package dev.shard4j.cli;

import picocli.CommandLine.IVersionProvider;

/** The version printed by {@code --version}: the jar's implementation version when packaged. */
public final class VersionProvider implements IVersionProvider {
  /** Creates the provider; picocli calls this. */
  public VersionProvider() {}

  /**
   * The project version, from the jar manifest when there is one.
   *
   * @return the lines to print
   */
  public static String version() {
    String v = VersionProvider.class.getPackage().getImplementationVersion();
    return v == null ? "development build" : v;
  }

  @Override
  public String[] getVersion() {
    return new String[] {"shard4j " + version()};
  }
}
