// The report of `az gap`: a console table, one JSON object, and a directory
// with CSVs of every figure and every position, gnuplot scripts with their
// pictures (reliability diagrams, error by game stage, measures over training
// steps) and a report.md page that embeds them.
//
// Column and key names keep the learned values and the reward apart:
// `v`/`value` is the raw network value, `q`/`search_N` the search value,
// `reward`/`target_*` the ground truth. Which ground truth is named in
// every row: `ground_truth` is "rules" (the intended objective's exact
// values) or "reward:SPEC" (a reward spec's). The decomposition's parts are
// named for what they compare: inner_value_vs_reward,
// outer_reward_vs_rules, total_value_vs_rules.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "analysis/agreement.h"
#include "analysis/decomposition.h"
#include "analysis/gap.h"
#include "nlohmann/json.hpp"

namespace az::analysis {

struct GapReport {
  std::string game;
  std::vector<GapResult> results;
  // In-distribution minus out-of-distribution: for each result of a set
  // that is not held out, its difference to the held-out result of the same
  // player (and training step).
  struct Difference {
    size_t in = 0;   // index into results: the held-out set
    size_t out = 0;  // index into results: the other set
    std::vector<DifferenceFigures> figures;
  };
  std::vector<Difference> differences;
  // Every pair of players on each set (analysis/agreement.h).
  std::vector<PairAgreement> agreement;
  double agreement_sign_band = AgreementOptions().sign_band;
  // For each result measured against a reward spec other than the rules:
  // it (inner: value vs reward), the same evaluations rescored against the
  // rules (total: value vs intention) and the reward against the rules on
  // those positions (outer), per stratum of the inner result.
  struct Decomposition {
    size_t inner = 0;  // index into results, truth_spec the reward's
    size_t total = 0;  // index into results, truth_spec "rules"
    std::vector<OuterFigures> outer;
  };
  std::vector<Decomposition> decompositions;
  BootstrapOptions bootstrap;
  double seconds = 0.0;  // the whole run, labelling included
  std::string command_line;
};

// Fills report->differences from report->results.
void ComputeDifferences(GapReport* report);

// Fills report->agreement from report->results, with report->bootstrap.
absl::Status ComputeAgreements(GapReport* report);

// The console table.
std::string FormatTable(const GapReport& report);

// {"game", "sets": [{"name", "positions", "player", "value": {measures},
//  "search_N": {measures}, "strata", "in_minus_out", "worst", ...}], ...}.
nlohmann::json ReportJson(const GapReport& report);

struct ReportFiles {
  std::vector<std::string> files;  // written, relative to the directory
  bool pictures_drawn = false;
  std::string note;  // why pictures were skipped, if they were
};

// Runs `gnuplot` (the program named; "" for none) on each of `scripts`, in
// `dir`, until one fails: files->files gets the PNGs drawn, and where none
// could be drawn pictures_drawn is false and files->note says why (the
// scripts and their data stay for a later run).
void DrawPlots(const std::string& dir, const std::string& gnuplot,
               const std::vector<std::string>& scripts, ReportFiles* files);

// Writes figures.csv, differences.csv, agreement.csv, positions.csv,
// "rules" or "reward:SPEC": the ground truth `r` was measured against.
std::string GroundTruthName(const GapResult& r);

// Writes figures.csv, differences.csv, decomposition.csv, positions.csv,
// reliability.csv, the gnuplot scripts and data, the PNGs (running `gnuplot`, the program named;
// when it cannot run, the scripts stay and the note says so) and report.md
// into `dir` (created if missing).
absl::StatusOr<ReportFiles> WriteReportDirectory(const GapReport& report,
                                                 const std::string& dir,
                                                 const std::string& gnuplot);

}  // namespace az::analysis
