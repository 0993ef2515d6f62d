/** The peers that shard4j is measured against side by side: PyTorch training the same GPT. */
package dev.shard4j.cli.peer;
