package dev.shard4j;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The layers depend downward only, and JavaCPP stays inside bindings. */
class LayerTest {
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
        .whereLayer("collectives").mayNotBeAccessedByAnyLayer()
        .whereLayer("kernels").mayOnlyBeAccessedByLayers("collectives")
        .whereLayer("tensor").mayOnlyBeAccessedByLayers("kernels", "collectives")
        .whereLayer("bindings").mayOnlyBeAccessedByLayers("tensor", "kernels", "collectives")
        .check(CLASSES);
  }

  @Test
  void javacppStaysInBindings() {
    noClasses().that().resideOutsideOfPackage("dev.shard4j.bindings..")
        .should().dependOnClassesThat().resideInAPackage("org.bytedeco..")
        .check(CLASSES);
  }
}
