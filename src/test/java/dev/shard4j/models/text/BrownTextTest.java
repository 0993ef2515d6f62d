package dev.shard4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Tag stripping and spacing, on lines as the corpus files hold them. */
class BrownTextTest {
  /** The start of ca01: blank lines, tab-opened paragraphs, a headline, a paragraph of two lines. */
  private static final String CA01 = "\n\n"
      + "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn"
      + " of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs"
      + " any/dti irregularities/nns took/vbd place/nn ./.\n"
      + "\n\n\n"
      + "Merger/nn-hl proposed/vbn-hl \n"
      + "However/wrb ,/, the/at jury/nn said/vbd it/pps believes/vbz ``/`` these/dts two/cd offices/nns should/md"
      + " be/be combined/vbn ''/'' ./.\n"
      + "\n\n"
      + "\tThe/at City/nn-tl Purchasing/vbg-tl Department/nn-tl ,/, the/at jury/nn said/vbd ,/, ``/`` is/bez"
      + " lacking/vbg in/in experienced/vbn clerical/jj personnel/nns ''/'' ./.\n"
      + "It/pps urged/vbd that/cs the/at city/nn ``/`` take/vb steps/nns to/to remedy/vb ''/'' this/dt problem/nn"
      + " ./.\n";

  @Test
  void stripsTagsAndJoinsParagraphs() {
    assertEquals("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election"
        + " produced \"no evidence\" that any irregularities took place.\n"
        + "Merger proposed\n"
        + "However, the jury said it believes \"these two offices should be combined\".\n"
        + "The City Purchasing Department, the jury said, \"is lacking in experienced clerical personnel\"."
        + " It urged that the city \"take steps to remedy\" this problem.\n", BrownText.clean(CA01));
  }

  @Test
  void splitsAtTheLastSlashSoWordsKeepTheirs() {
    assertEquals("It drops again after fifteen and/or twenty-one days.\n",
        BrownText.clean("It/pps drops/vbz again/rb after/in fifteen/cd and/or/cc twenty-one/cd days/nns ./.\n"));
    assertEquals("the counts / minute at 40 Mc/sec\n",
        BrownText.clean("\tthe/at counts/nns //in minute/nn at/in 40/cd Mc/sec/nn\n"));
  }

  @Test
  void printsDoubledMarksOnce() {
    assertEquals("Judge Parsons inquired, \"You mean this\"? Ivan Allen Jr.; more.\n",
        BrownText.clean("\tJudge/nn-tl Parsons/np inquired/vbd ,/, ``/`` You/ppss mean/vb this/dt ''/'' ?/. ?/.\n"
            + "Ivan/np Allen/np Jr./np ;/. ;/. more/ap ./.\n"));
  }

  @Test
  void pairsSingleQuotesAndBrackets() {
    assertEquals("more 'pro' letters (than 'con') [sic]\n",
        BrownText.clean("more/ap '/' pro/jj '/' letters/nns (/( than/cs '/' con/jj '/' )/) [/( sic/rb ]/)\n"));
  }

  @Test
  void keepsTokensWithoutATagAsTheyAre() {
    assertEquals("a /x b/ c\n", BrownText.clean("a/at /x b/ c/nn\r\n"));
    assertEquals("", BrownText.clean("\n \n\t\n"));
  }
}
