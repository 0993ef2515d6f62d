package dev.shard4j.models.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns one file of the tagged Brown corpus (form C: every token written {@code word/tag}, one
 * sentence or heading per line, a tab before a paragraph's first sentence) into plain prose: tags
 * dropped, a paragraph per line, punctuation attached the way it is printed, the corpus's
 * {@code ``} and {@code ''} quotes written as {@code "}, and doubled marks ("? ?", "Jr. .") written
 * once. Stateless and thread-safe.
 */
final class BrownText {
  private BrownText() {
  }

  /**
   * The prose of one tagged file.
   *
   * @param tagged the file's text
   * @return one paragraph per line, each ending in a newline; empty when the file holds no tokens
   */
  static String clean(String tagged) {
    StringBuilder out = new StringBuilder(tagged.length() / 2);
    Paragraph paragraph = new Paragraph();
    for (String line : tagged.split("\n", -1)) {
      if (line.isBlank()) {
        paragraph.flushTo(out);
        continue;
      }
      // A tab opens a paragraph; lines without one continue it.
      if (line.charAt(0) == '\t') {
        paragraph.flushTo(out);
      }
      List<String> words = new ArrayList<>();
      boolean heading = true;
      for (String token : tokens(line)) {
        int slash = token.lastIndexOf('/');
        // Words may hold slashes themselves (and/or, 1/2, //in), tags never do: the last one splits.
        if (slash > 0 && slash < token.length() - 1) {
          words.add(token.substring(0, slash));
          heading &= token.endsWith("-hl");
        } else {
          words.add(token);
          heading = false;
        }
      }
      // Headlines (every tag ending in -hl) run straight into the next sentence: give them their own line.
      if (heading) {
        paragraph.flushTo(out);
        paragraph.add(words);
        paragraph.flushTo(out);
      } else {
        paragraph.add(words);
      }
    }
    paragraph.flushTo(out);
    return out.toString();
  }

  /** The tokens of a line, split at spaces and tabs (a regular expression would cost most of the time). */
  private static List<String> tokens(String line) {
    List<String> tokens = new ArrayList<>();
    int start = -1;
    for (int i = 0; i <= line.length(); i++) {
      boolean space = i == line.length() || line.charAt(i) == ' ' || line.charAt(i) == '\t' || line.charAt(i) == '\r';
      if (space && start >= 0) {
        tokens.add(line.substring(start, i));
        start = -1;
      } else if (!space && start < 0) {
        start = i;
      }
    }
    return tokens;
  }

  /** The words of the paragraph being built, spaced as printed. */
  private static final class Paragraph {
    private final StringBuilder text = new StringBuilder();
    /** The last word opened something (a parenthesis, a quote): no space after it. */
    private boolean glue;
    /** Inside a single quote: the corpus writes both ends as the same token. */
    private boolean singleQuoteOpen;

    void add(List<String> words) {
      for (String word : words) {
        boolean opens;
        boolean closes;
        String printed = word;
        switch (word) {
          case "``" -> {
            printed = "\"";
            opens = true;
            closes = false;
          }
          case "''" -> {
            printed = "\"";
            opens = false;
            closes = true;
          }
          case "'" -> {
            opens = !singleQuoteOpen;
            closes = singleQuoteOpen;
            singleQuoteOpen = !singleQuoteOpen;
          }
          case "(", "[" -> {
            opens = true;
            closes = false;
          }
          case ",", ".", ";", ":", "?", "!", ")", "]" -> {
            opens = false;
            closes = true;
          }
          default -> {
            opens = false;
            closes = false;
          }
        }
        // This copy of the corpus writes every "?", "!" and ";" twice, and a full stop after an
        // abbreviation's own ("Jr. ."): print such a mark once.
        if (isRepeatedMark(word)) {
          continue;
        }
        if (!text.isEmpty() && !glue && !closes) {
          text.append(' ');
        }
        text.append(printed);
        glue = opens;
      }
    }

    private boolean isRepeatedMark(String word) {
      return word.length() == 1 && ".?!;".indexOf(word.charAt(0)) >= 0 && !text.isEmpty()
          && text.charAt(text.length() - 1) == word.charAt(0);
    }

    void flushTo(StringBuilder out) {
      if (!text.isEmpty()) {
        out.append(text).append('\n');
      }
      text.setLength(0);
      glue = false;
      singleQuoteOpen = false;
    }
  }
}
