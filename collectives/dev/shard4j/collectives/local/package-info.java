/** The in-process CPU backend of the collectives: ranks are threads of one JVM. */
package dev.shard4j.collectives.local;
