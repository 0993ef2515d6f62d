package dev.shard4j.fuzz;

import java.util.ArrayList;
import java.util.List;

/**
 * What a call must do: succeed, or throw one of the documented exception types with a message
 * naming the argument (a fragment the message must contain), or either where the API leaves it
 * open. Immutable.
 */
final class Outcome {
  private final boolean successAllowed;
  private final List<Class<? extends Throwable>> types;
  private final List<String> fragments;

  private Outcome(boolean successAllowed, List<Class<? extends Throwable>> types, List<String> fragments) {
    this.successAllowed = successAllowed;
    this.types = types;
    this.fragments = fragments;
  }

  /** The call must succeed. */
  static Outcome ok() {
    return new Outcome(true, List.of(), List.of());
  }

  /** The call must throw the type (or a subtype) with the fragment in its message. */
  static Outcome fails(Class<? extends Throwable> type, String fragment) {
    return ok().orFails(type, fragment).notOk();
  }

  /** This outcome, or else the exception. */
  Outcome orFails(Class<? extends Throwable> type, String fragment) {
    List<Class<? extends Throwable>> t = new ArrayList<>(types);
    List<String> f = new ArrayList<>(fragments);
    t.add(type);
    f.add(fragment);
    return new Outcome(successAllowed, t, f);
  }

  /** This outcome, or else success. */
  Outcome orOk() {
    return new Outcome(true, types, fragments);
  }

  private Outcome notOk() {
    return new Outcome(false, types, fragments);
  }

  boolean successAllowed() {
    return successAllowed;
  }

  boolean failureExpected() {
    return !types.isEmpty();
  }

  /** Null when the exception is one this outcome allows, else why not. */
  String judge(Throwable t) {
    for (int i = 0; i < types.size(); i++) {
      if (types.get(i).isInstance(t)) {
        String fragment = fragments.get(i);
        if (fragment == null || (t.getMessage() != null && t.getMessage().contains(fragment))) {
          return null;
        }
      }
    }
    return "expected " + this + ", got " + t;
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (successAllowed) {
      parts.add("success");
    }
    for (int i = 0; i < types.size(); i++) {
      parts.add(types.get(i).getSimpleName() + (fragments.get(i) == null ? "" : " naming '" + fragments.get(i) + "'"));
    }
    return String.join(" or ", parts);
  }

  /**
   * What a call did.
   *
   * @param <T> what it returns
   * @param value its result on success
   * @param error its exception (an allowed one), or null on success
   */
  record Result<T>(T value, Throwable error) {
    boolean ok() {
      return error == null;
    }
  }
}
