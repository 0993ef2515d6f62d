package dev.shard4j;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers depend downward only (bindings, tensor, kernels, collectives, parallel, models, cli), every
 * class is in one of them, and JavaCPP stays inside bindings.
 */
class LayerTest {
  private static final List<String> LAYERS =
      List.of("bindings", "tensor", "kernels", "collectives", "parallel", "models", "cli");
  private static final JavaClasses CLASSES = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.shard4j");

  @Test
  void layersDependDownwardOnly() {
    layeredArchitecture().consideringOnlyDependenciesInLayers()
        .layer("bindings").definedBy("dev.shard4j.bindings..")
        .layer("tensor").definedBy("dev.shard4j.tensor..")
        .layer("kernels").definedBy("dev.shard4j.kernels..")
        .layer("collectives").definedBy("dev.shard4j.collectives..")
        .layer("parallel").definedBy("dev.shard4j.parallel..")
        .layer("models").definedBy("dev.shard4j.models..")
        .layer("cli").definedBy("dev.shard4j.cli..")
        .whereLayer("cli").mayNotBeAccessedByAnyLayer()
        .whereLayer("models").mayOnlyBeAccessedByLayers("cli")
        .whereLayer("parallel").mayOnlyBeAccessedByLayers("models", "cli")
        .whereLayer("collectives").mayOnlyBeAccessedByLayers("parallel", "models", "cli")
        .whereLayer("kernels").mayOnlyBeAccessedByLayers("collectives", "parallel", "models", "cli")
        .whereLayer("tensor").mayOnlyBeAccessedByLayers("kernels", "collectives", "parallel", "models", "cli")
        .whereLayer("bindings")
        .mayOnlyBeAccessedByLayers("tensor", "kernels", "collectives", "parallel", "models", "cli")
        .check(CLASSES);
  }

  @Test
  void everyClassBelongsToALayer() {
    classes().should().resideInAnyPackage("dev.shard4j.bindings..", "dev.shard4j.tensor..",
            "dev.shard4j.kernels..", "dev.shard4j.collectives..", "dev.shard4j.parallel..", "dev.shard4j.models..",
            "dev.shard4j.cli..")
        .check(CLASSES);
  }

  /** The library artifact must run without the command line's dependencies on its class path. */
  @Test
  void onlyTheCommandLineUsesItsLibraries() {
    noClasses().that().resideOutsideOfPackage("dev.shard4j.cli..")
        .should().dependOnClassesThat().resideInAnyPackage("picocli..", "org.slf4j.simple..", "org.jfree..")
        .check(CLASSES);
  }

  /**
   * Each layer's source folder at the project root holds that layer's packages and nothing else, so
   * that a layer is found by its folder.
   */
  @Test
  void eachSourceFolderHoldsItsLayerOnly() throws IOException {
    Path root = Path.of(System.getProperty("shard4j.root", "../.."));
    for (String layer : LAYERS) {
      Path folder = root.resolve(layer);
      Path home = folder.resolve("dev/shard4j").resolve(layer);
      assertTrue(Files.isDirectory(home), home + " is missing");
      try (Stream<Path> files = Files.walk(folder)) {
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          assertTrue(file.startsWith(home), file + " is outside " + home);
          if (file.toString().endsWith(".java")) {
            String expected = "package " + folder.relativize(file.getParent()).toString().replace('/', '.') + ";";
            assertTrue(Files.readAllLines(file).contains(expected), file + " does not declare " + expected);
          }
        }
      }
    }
  }

  @Test
  void javacppStaysInBindings() {
    noClasses().that().resideOutsideOfPackage("dev.shard4j.bindings..")
        .should().dependOnClassesThat().resideInAPackage("org.bytedeco..")
        .check(CLASSES);
  }
}
