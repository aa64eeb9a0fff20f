#include "tools/sets_flags.h"

DEFINE_string(sets, "",
              "Position sets, comma-separated: position files (one move "
              "sequence per line, optionally followed by its exact score, "
              "e.g. Pons' Connect Four benchmark files) and, for az gap, "
              "heldout:RUN (the held-out self-play games of a run: the "
              "in-distribution set).");
