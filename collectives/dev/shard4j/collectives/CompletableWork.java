package dev.shard4j.collectives;

import dev.shard4j.bindings.Setting;
import dev.shard4j.bindings.WaitTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link Work} that a backend completes: {@link #complete()} or {@link #fail(Throwable)}, once.
 * Thread-safe.
 */
public final class CompletableWork implements Work {
  private final String description;
  private final CompletableFuture<Void> future = new CompletableFuture<>();

  /**
   * Creates pending work.
   *
   * @param description the operation, for timeout messages (e.g. "allReduce #3 on rank 1")
   */
  public CompletableWork(String description) {
    this.description = description;
  }

  /**
   * Work that is already done.
   *
   * @param description the operation
   * @return finished work
   */
  public static CompletableWork done(String description) {
    CompletableWork w = new CompletableWork(description);
    w.complete();
    return w;
  }

  /** Marks the work done. */
  public void complete() {
    future.complete(null);
  }

  /**
   * Marks the work failed.
   *
   * @param error why
   */
  public void fail(Throwable error) {
    future.completeExceptionally(error);
  }

  @Override
  public void await() {
    if (future.isDone()) {
      await(Duration.ZERO); // reports its outcome without reading the settings
      return;
    }
    // The operation has its own timeout; the extra minute only guards against a lost completion.
    await(Setting.TIMEOUT.asSeconds().plusSeconds(60));
  }

  @Override
  public void await(Duration timeout) {
    try {
      if (future.isDone()) {
        future.get();
        return;
      }
      future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new WaitTimeoutException(description + " was not done after " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WaitTimeoutException(description + ": interrupted while waiting");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw new IllegalStateException(description + " failed", cause);
    }
  }

  @Override
  public boolean isDone() {
    return future.isDone();
  }

  @Override
  public Optional<Throwable> error() {
    if (!future.isCompletedExceptionally()) {
      return Optional.empty();
    }
    try {
      future.getNow(null);
      return Optional.empty();
    } catch (java.util.concurrent.CompletionException e) {
      return Optional.of(e.getCause());
    } catch (java.util.concurrent.CancellationException e) {
      return Optional.of(e);
    }
  }

  /**
   * Work that is done when every part is; its error is the first part's error.
   *
   * @param parts the works
   * @return the combined work
   */
  public static Work allOf(Work... parts) {
    return new Work() {
      @Override
      public void await() {
        for (Work w : parts) {
          w.await();
        }
      }

      @Override
      public void await(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Work w : parts) {
          w.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
      }

      @Override
      public boolean isDone() {
        for (Work w : parts) {
          if (!w.isDone()) {
            return false;
          }
        }
        return true;
      }

      @Override
      public Optional<Throwable> error() {
        for (Work w : parts) {
          if (w.error().isPresent()) {
            return w.error();
          }
        }
        return Optional.empty();
      }
    };
  }
}
