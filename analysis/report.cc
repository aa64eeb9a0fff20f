#include "analysis/report.h"

#include <glog/logging.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/file.h"
#include "base/shell.h"
#include "base/status_macros.h"

namespace az::analysis {
namespace {

using Json = nlohmann::json;

std::string Num(double x, int digits = 3) {
  if (std::isnan(x)) return "-";
  return absl::StrFormat("%.*f", digits, x);
}

// A CSV number: empty where undefined.
std::string CsvNum(double x) {
  if (std::isnan(x)) return "";
  return absl::StrFormat("%.6g", x);
}

std::string CsvText(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string PlayerLabel(const GapResult& r) {
  return r.step >= 0 ? absl::StrCat(r.player, " (step ", r.step, ")")
                     : r.player;
}

Json FiguresJson(const SourceFigures& f) {
  Json j = Json::object();
  j["positions"] = f.point.positions;
  const auto& names = MeasureNames();
  for (size_t k = 0; k < names.size(); ++k) {
    j[names[k]] = f.figures[k].value;
    j[names[k] + "_lo"] = f.figures[k].lo;
    j[names[k] + "_hi"] = f.figures[k].hi;
  }
  j["moves_labelled"] = f.point.moves_labelled;
  j["mean_value"] = f.point.mean_value;
  j["mean_reward"] = f.point.mean_target;
  if (f.mse_ratio_to_value.has_value()) {
    j["mse_ratio_to_value"] = f.mse_ratio_to_value->value;
    j["mse_ratio_to_value_lo"] = f.mse_ratio_to_value->lo;
    j["mse_ratio_to_value_hi"] = f.mse_ratio_to_value->hi;
  }
  return j;
}

Json ReliabilityJson(const std::vector<ReliabilityBin>& bins) {
  Json j = Json::array();
  for (const ReliabilityBin& b : bins) {
    j.push_back({{"lo", b.lo},
                 {"hi", b.hi},
                 {"positions", b.positions},
                 {"mean_value", b.mean_value},
                 {"mean_reward", b.mean_target}});
  }
  return j;
}

Json DifferenceJson(const std::vector<DifferenceFigures>& diffs) {
  Json j = Json::object();
  const auto& names = MeasureNames();
  for (const DifferenceFigures& d : diffs) {
    Json f = Json::object();
    for (size_t k = 0; k < names.size(); ++k) {
      f[names[k]] = d.figures[k].value;
      f[names[k] + "_lo"] = d.figures[k].lo;
      f[names[k] + "_hi"] = d.figures[k].hi;
    }
    j[d.stratum][d.source] = f;
  }
  return j;
}

Json OuterJson(const OuterFigures& o) {
  Json j = {{"positions", o.positions},
            {"games", o.games},
            {"moves_labelled", o.moves_labelled}};
  const std::vector<Figure> figures = OuterFigureList(o);
  for (size_t k = 0; k < figures.size(); ++k) {
    const std::string& name = OuterFigureNames()[k];
    j[name] = figures[k].value;
    j[name + "_lo"] = figures[k].lo;
    j[name + "_hi"] = figures[k].hi;
  }
  return j;
}

// The parts of one decomposition per stratum: the player's value against
// the reward (inner) and against the rules (total), per source, and the
// reward against the rules (outer).
Json DecompositionJson(const GapReport& report,
                       const GapReport::Decomposition& d) {
  const GapResult& inner = report.results[d.inner];
  const GapResult& total = report.results[d.total];
  Json strata = Json::object();
  for (size_t k = 0; k < inner.strata.size(); ++k) {
    Json sj = Json::object();
    for (const SourceFigures& f : inner.strata[k].sources) {
      sj["inner_value_vs_reward"][f.source] = FiguresJson(f);
    }
    if (k < total.strata.size()) {
      for (const SourceFigures& f : total.strata[k].sources) {
        sj["total_value_vs_rules"][f.source] = FiguresJson(f);
      }
    }
    if (k < d.outer.size()) sj["outer_reward_vs_rules"] = OuterJson(d.outer[k]);
    strata[inner.strata[k].name] = sj;
  }
  return {{"reward", inner.truth_spec},
          {"intended", kRulesSpec},
          {"rules_labels", total.labels},
          {"strata", strata}};
}

std::string Slug(const std::string& text) {
  std::string s;
  for (char c : text) {
    s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  while (s.find("__") != std::string::npos) {
    s = absl::StrReplaceAll(s, {{"__", "_"}});
  }
  if (s.size() > 40) s = s.substr(s.size() - 40);
  return s;
}

std::string FigureText(const Figure& f) {
  if (std::isnan(f.value)) return "-";
  return absl::StrCat(Num(f.value), " [", Num(f.lo), ",", Num(f.hi), "]");
}

// The results a picture is drawn for: of a run, only the newest checkpoint
// (its history has the pictures over training steps).
bool DrawsPictures(const GapReport& report, const GapResult& r) {
  if (r.step < 0) return true;
  for (const GapResult& o : report.results) {
    if (o.player.substr(0, o.player.rfind('@')) ==
            r.player.substr(0, r.player.rfind('@')) &&
        o.step > r.step) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string GroundTruthName(const GapResult& r) {
  return r.truth_spec == kRulesSpec ? std::string(kRulesSpec)
                                    : absl::StrCat("reward:", r.truth_spec);
}

void ComputeDifferences(GapReport* report) {
  report->differences.clear();
  for (size_t in = 0; in < report->results.size(); ++in) {
    const GapResult& a = report->results[in];
    if (a.set_kind != SetKind::kHeldout) continue;
    for (size_t out = 0; out < report->results.size(); ++out) {
      const GapResult& b = report->results[out];
      if (b.set_kind == SetKind::kHeldout || b.player != a.player ||
          b.step != a.step || b.truth_spec != a.truth_spec) {
        continue;
      }
      report->differences.push_back(
          {in, out, InMinusOut(a, b, report->bootstrap.level)});
    }
  }
}

namespace {

// The one line of an older checkpoint of a run: its value's mse and
// accuracy.
std::string OlderCheckpointLine(const GapResult& r) {
  const SourceFigures& v = r.strata.front().sources.front();
  return absl::StrFormat("%s on %s: value mse %s, accuracy %s\n",
                         PlayerLabel(r), r.set_name, FigureText(v.figures[0]),
                         FigureText(v.figures[1]));
}

// One result's heading and its table of figures, a row per stratum and
// source.
std::string ResultTable(const GapResult& r) {
  std::string text = absl::StrFormat(
      "\n%s: %d positions from %d games (%s)\n  player %s; ground truth "
      "(%s): %s%s; %.1f positions/s\n",
      r.set_name, r.positions, r.games, r.set_description, PlayerLabel(r),
      GroundTruthName(r), r.labels, r.labels_estimated ? " (ESTIMATED, not exact)" : "",
      r.positions_per_s);
  absl::StrAppendFormat(&text, "  %-20s %-10s %6s", "stratum", "source", "n");
  const char* headers[] = {"mse",   "accuracy", "conf.wrong",   "log_loss",
                           "brier", "ece",      "move_mistakes"};
  for (const char* h : headers) absl::StrAppendFormat(&text, " %-21s", h);
  absl::StrAppend(&text, " q/v mse\n");
  for (const StratumResult& s : r.strata) {
    for (const SourceFigures& f : s.sources) {
      absl::StrAppendFormat(&text, "  %-20s %-10s %6d", s.name, f.source,
                            s.positions);
      for (const Figure& x : f.figures) {
        absl::StrAppendFormat(&text, " %-21s", FigureText(x));
      }
      absl::StrAppend(&text, " ",
                      f.mse_ratio_to_value.has_value()
                          ? FigureText(*f.mse_ratio_to_value)
                          : "",
                      "\n");
    }
  }
  return text;
}

// The worst positions of one result, one line each (empty if none).
std::string WorstLines(const GapResult& r) {
  if (r.worst.empty()) return "";
  std::string text =
      "  worst positions by |v - reward| (replay: az play --start=MOVES):\n";
  for (int w : r.worst) {
    const PositionResult& p = r.position_results[w];
    absl::StrAppendFormat(&text, "    %-24s v %+.3f",
                          p.moves.empty() ? "(start)" : p.moves, p.raw.v.value);
    for (size_t b = 0; b < p.search.size(); ++b) {
      absl::StrAppendFormat(&text, "  q@%d %+.3f", r.budgets[b],
                            p.search[b].q.value);
    }
    absl::StrAppendFormat(&text, "  reward %+.3f", p.truth.target.Value());
    if (p.truth.score.has_value()) {
      absl::StrAppend(&text, " (score ", *p.truth.score, ")");
    }
    absl::StrAppend(&text, "\n");
  }
  return text;
}

// A signed difference with its interval, or "-" where undefined.
std::string DifferenceText(const Figure& x) {
  if (std::isnan(x.value)) return "-";
  return absl::StrCat(absl::StrFormat("%+.3f", x.value), " [", Num(x.lo), ",",
                      Num(x.hi), "]");
}

// The in-minus-out table of one pair of sets.
std::string DifferenceTable(const GapReport& report,
                            const GapReport::Difference& d) {
  const GapResult& in = report.results[d.in];
  const GapResult& out = report.results[d.out];
  std::string text =
      absl::StrFormat("\nin minus out: %s minus %s, player %s\n", in.set_name,
                      out.set_name, PlayerLabel(in));
  absl::StrAppendFormat(&text, "  %-20s %-10s", "stratum", "source");
  for (const std::string& n : MeasureNames()) {
    absl::StrAppendFormat(&text, " %-24s", n);
  }
  absl::StrAppend(&text, "\n");
  for (const DifferenceFigures& f : d.figures) {
    absl::StrAppendFormat(&text, "  %-20s %-10s", f.stratum, f.source);
    for (const Figure& x : f.figures) {
      absl::StrAppendFormat(&text, " %-24s", DifferenceText(x));
    }
    absl::StrAppend(&text, "\n");
  }
  return text;
}

// The agreement table of one pair of players on one set.
std::string AgreementTable(const GapReport& report, const PairAgreement& p) {
  const GapResult& a = report.results[p.a];
  std::string text = absl::StrFormat(
      "\nagreement on %s: %s vs %s (raw v; sign band %.2f)\n", a.set_name,
      PlayerLabel(a), PlayerLabel(report.results[p.b]),
      report.agreement_sign_band);
  absl::StrAppendFormat(&text, "  %-20s %9s", "stratum", "positions");
  for (const std::string& n : AgreementFigureNames()) {
    absl::StrAppendFormat(&text, " %-28s", n);
  }
  absl::StrAppend(&text, "\n");
  for (const AgreementStratum& s : p.strata) {
    absl::StrAppendFormat(&text, "  %-20s %9d", s.name, s.positions);
    for (const Figure& x : FiguresOf(s)) {
      absl::StrAppendFormat(&text, " %-28s", FigureText(x));
    }
    absl::StrAppend(&text, "\n");
  }
  return text;
}

// One row of a decomposition table: the cells of `source` (an index into
// the strata's sources) in stratum `k`.
std::vector<std::string> DecompositionCells(const GapReport& report,
                                            const GapReport::Decomposition& d,
                                            size_t k, size_t source) {
  const GapResult& inner = report.results[d.inner];
  const GapResult& total = report.results[d.total];
  const SourceFigures& in = inner.strata[k].sources[source];
  const SourceFigures& all = total.strata[k].sources[source];
  const OuterFigures& o = d.outer[k];
  return {inner.strata[k].name,
          in.source,
          absl::StrCat(inner.strata[k].positions),
          FigureText(in.figures[0]),
          FigureText(in.figures[2]),
          FigureText(o.mean_abs_difference),
          FigureText(o.sign_disagreement_rate),
          FigureText(o.reward_best_move_rules_mistake_rate),
          FigureText(all.figures[0]),
          FigureText(all.figures[2]),
          FigureText(all.figures[6])};
}

// The column heads of a decomposition table, for DecompositionCells.
const std::vector<std::string>& DecompositionHeads() {
  static const auto* heads = new std::vector<std::string>{
      "stratum",
      "source",
      "n",
      "inner: mse v-reward",
      "inner: conf.wrong",
      "outer: |reward-rules|",
      "outer: sign differs",
      "outer: reward-best=rules-mistake",
      "total: mse v-rules",
      "total: conf.wrong",
      "rules move mistakes"};
  return *heads;
}

// The heading of one decomposition: the set, the player, the reward.
std::string DecompositionTitle(const GapReport& report,
                               const GapReport::Decomposition& d) {
  const GapResult& inner = report.results[d.inner];
  return absl::StrCat(
      inner.set_name, ", player ", PlayerLabel(inner),
      inner.trained_on.empty() ? ""
                               : absl::StrCat(" (trained on reward ",
                                              inner.trained_on, ")"),
      ": reward ", inner.truth_spec, " vs the rules");
}

// The console table of one decomposition, a row per stratum and source.
std::string DecompositionTable(const GapReport& report,
                               const GapReport::Decomposition& d) {
  std::string text = absl::StrCat(
      "\ninner / outer / total: ", DecompositionTitle(report, d),
      "\n  inner = value vs the reward's exact values; outer = the reward's "
      "exact values vs the rules'; total = value vs the rules'\n");
  const auto& heads = DecompositionHeads();
  absl::StrAppendFormat(&text, "  %-20s %-10s %6s", heads[0], heads[1],
                        heads[2]);
  for (size_t c = 3; c < heads.size(); ++c) {
    absl::StrAppendFormat(&text, " %-21s", heads[c]);
  }
  absl::StrAppend(&text, "\n");
  const GapResult& inner = report.results[d.inner];
  for (size_t k = 0; k < inner.strata.size() && k < d.outer.size(); ++k) {
    for (size_t s = 0; s < inner.strata[k].sources.size(); ++s) {
      const std::vector<std::string> cells =
          DecompositionCells(report, d, k, s);
      absl::StrAppendFormat(&text, "  %-20s %-10s %6s", cells[0], cells[1],
                            cells[2]);
      for (size_t c = 3; c < cells.size(); ++c) {
        absl::StrAppendFormat(&text, " %-21s", cells[c]);
      }
      absl::StrAppend(&text, "\n");
    }
  }
  return text;
}

}  // namespace

absl::Status ComputeAgreements(GapReport* report) {
  AgreementOptions options;
  options.sign_band = report->agreement_sign_band;
  options.bootstrap = report->bootstrap;
  ASSIGN_OR_RETURN(report->agreement,
                   ComputeAgreement(report->results, options));
  return absl::OkStatus();
}

std::string FormatTable(const GapReport& report) {
  std::string text;
  for (const GapResult& r : report.results) {
    // A run's older checkpoints get one line each; the newest the tables
    // (the CSVs and the pictures over steps have every figure).
    if (!DrawsPictures(report, r)) {
      absl::StrAppend(&text, OlderCheckpointLine(r));
      continue;
    }
    absl::StrAppend(&text, ResultTable(r), WorstLines(r));
  }
  for (const GapReport::Difference& d : report.differences) {
    if (!DrawsPictures(report, report.results[d.in])) continue;
    absl::StrAppend(&text, DifferenceTable(report, d));
  }
  for (const PairAgreement& p : report.agreement) {
    absl::StrAppend(&text, AgreementTable(report, p));
  }
  for (const GapReport::Decomposition& d : report.decompositions) {
    if (!DrawsPictures(report, report.results[d.inner])) continue;
    absl::StrAppend(&text, DecompositionTable(report, d));
  }
  return text;
}

namespace {

// {"set", "player_a", "player_b", "sign_band", "strata": {name: {positions,
// games, sign_disagreements, figure: {value, lo, hi}, ...}}} per pair.
Json AgreementJson(const GapReport& report) {
  Json pairs = Json::array();
  for (const PairAgreement& p : report.agreement) {
    const GapResult& a = report.results[p.a];
    const GapResult& b = report.results[p.b];
    Json strata = Json::object();
    for (const AgreementStratum& s : p.strata) {
      Json sj = {{"positions", s.positions},
                 {"games", s.games},
                 {"sign_disagreements", s.sign_disagreements}};
      const std::vector<Figure> figures = FiguresOf(s);
      for (size_t k = 0; k < figures.size(); ++k) {
        sj[AgreementFigureNames()[k]] = {{"value", figures[k].value},
                                         {"lo", figures[k].lo},
                                         {"hi", figures[k].hi}};
      }
      strata[s.name] = sj;
    }
    pairs.push_back({{"set", a.set_name},
                     {"in_distribution", a.set_kind == SetKind::kHeldout},
                     {"player_a", PlayerLabel(a)},
                     {"player_b", PlayerLabel(b)},
                     {"sign_band", report.agreement_sign_band},
                     {"strata", strata}});
  }
  return pairs;
}

}  // namespace

Json ReportJson(const GapReport& report) {
  Json sets = Json::array();
  for (size_t i = 0; i < report.results.size(); ++i) {
    const GapResult& r = report.results[i];
    Json j = Json::object();
    j["name"] = r.set_name;
    j["description"] = r.set_description;
    j["in_distribution"] = r.set_kind == SetKind::kHeldout;
    j["positions"] = r.positions;
    j["games"] = r.games;
    j["player"] = r.player;
    if (r.step >= 0) j["step"] = r.step;
    j["ground_truth"] = GroundTruthName(r);
    if (!r.trained_on.empty()) j["trained_on"] = r.trained_on;
    j["labels"] = r.labels;
    j["labels_estimated"] = r.labels_estimated;
    j["budgets"] = r.budgets;
    j["seconds"] = r.seconds;
    j["positions_per_s"] = r.positions_per_s;
    Json strata = Json::object();
    for (const StratumResult& s : r.strata) {
      Json sj = {{"positions", s.positions}, {"games", s.games}};
      for (const SourceFigures& f : s.sources) {
        sj[f.source] = FiguresJson(f);
        if (s.name == "all") {
          j[f.source] = FiguresJson(f);
          j["reliability"][f.source] = ReliabilityJson(f.reliability);
        }
      }
      if (s.name != "all") strata[s.name] = sj;
    }
    j["strata"] = strata;
    for (const GapReport::Difference& d : report.differences) {
      if (d.out != i) continue;
      j["in_minus_out"] = DifferenceJson(d.figures);
      j["in_minus_out"]["reference"] = report.results[d.in].set_name;
    }
    Json worst = Json::array();
    for (int w : r.worst) {
      const PositionResult& p = r.position_results[w];
      Json pj = {{"moves", p.moves},
                 {"ply", p.ply},
                 {"v", p.raw.v.value},
                 {"reward", p.truth.target.Value()},
                 {"reward_exact", p.truth.target.exact},
                 {"label_source", LabelSourceName(p.truth.source)}};
      if (p.truth.score.has_value()) pj["score"] = *p.truth.score;
      for (size_t b = 0; b < p.search.size(); ++b) {
        pj[absl::StrCat("q_", r.budgets[b])] = p.search[b].q.value;
      }
      worst.push_back(pj);
    }
    j["worst"] = worst;
    for (const GapReport::Decomposition& d : report.decompositions) {
      if (d.inner == i) j["decomposition"] = DecompositionJson(report, d);
    }
    sets.push_back(j);
  }
  return {{"game", report.game},
          {"sets", sets},
          {"agreement", AgreementJson(report)},
          {"bootstrap_resamples", report.bootstrap.resamples},
          {"interval_level", report.bootstrap.level},
          {"seconds", report.seconds}};
}

namespace {

// Writes files into one directory and lists, in order, those written.
class DirectoryWriter {
 public:
  DirectoryWriter(const std::string& dir, ReportFiles* files)
      : dir_(dir), files_(files) {}

  absl::Status Write(const std::string& name, const std::string& contents) {
    RETURN_IF_ERROR(base::WriteFileAtomically(dir_ + "/" + name, contents));
    files_->files.push_back(name);
    return absl::OkStatus();
  }

 private:
  const std::string& dir_;
  ReportFiles* files_;
};

// figures.csv: every figure, one per row.
std::string FiguresCsv(const GapReport& report) {
  const auto& names = MeasureNames();
  std::string csv =
      "set,player,step,stratum,positions,games,source,measure,value,lo,hi,"
      "ground_truth\n";
  for (const GapResult& r : report.results) {
    for (const StratumResult& s : r.strata) {
      for (const SourceFigures& f : s.sources) {
        auto row = [&](const std::string& measure, const Figure& x) {
          absl::StrAppend(&csv, CsvText(r.set_name), ",", CsvText(r.player),
                          ",", r.step, ",", CsvText(s.name), ",", s.positions,
                          ",", s.games, ",", f.source, ",", measure, ",",
                          CsvNum(x.value), ",", CsvNum(x.lo), ",", CsvNum(x.hi),
                          ",", GroundTruthName(r), "\n");
        };
        for (size_t k = 0; k < names.size(); ++k) row(names[k], f.figures[k]);
        if (f.mse_ratio_to_value.has_value()) {
          row("mse_ratio_to_value", *f.mse_ratio_to_value);
        }
      }
    }
  }
  return csv;
}

// reliability.csv: the bins of every source over all positions.
std::string ReliabilityCsv(const GapReport& report) {
  std::string csv =
      "set,player,step,source,bin_lo,bin_hi,positions,mean_value,"
      "mean_reward\n";
  for (const GapResult& r : report.results) {
    for (const StratumResult& s : r.strata) {
      if (s.name != "all") continue;
      for (const SourceFigures& f : s.sources) {
        for (const ReliabilityBin& b : f.reliability) {
          absl::StrAppend(&csv, CsvText(r.set_name), ",", CsvText(r.player),
                          ",", r.step, ",", f.source, ",", CsvNum(b.lo), ",",
                          CsvNum(b.hi), ",", b.positions, ",",
                          CsvNum(b.mean_value), ",", CsvNum(b.mean_target),
                          "\n");
        }
      }
    }
  }
  return csv;
}

// differences.csv: every in-minus-out figure, one per row.
std::string DifferencesCsv(const GapReport& report) {
  const auto& names = MeasureNames();
  std::string csv =
      "in_set,out_set,player,step,stratum,source,measure,in_minus_out,lo,hi\n";
  for (const GapReport::Difference& d : report.differences) {
    const GapResult& in = report.results[d.in];
    const GapResult& out = report.results[d.out];
    for (const DifferenceFigures& f : d.figures) {
      for (size_t k = 0; k < names.size(); ++k) {
        absl::StrAppend(
            &csv, CsvText(in.set_name), ",", CsvText(out.set_name), ",",
            CsvText(in.player), ",", in.step, ",", CsvText(f.stratum), ",",
            f.source, ",", names[k], ",", CsvNum(f.figures[k].value), ",",
            CsvNum(f.figures[k].lo), ",", CsvNum(f.figures[k].hi), "\n");
      }
    }
  }
  return csv;
}

// agreement.csv: every agreement figure of every pair, one per row.
std::string AgreementCsv(const GapReport& report) {
  std::string csv =
      "set,player_a,player_b,stratum,positions,games,measure,value,lo,hi\n";
  for (const PairAgreement& p : report.agreement) {
    const GapResult& a = report.results[p.a];
    const GapResult& b = report.results[p.b];
    for (const AgreementStratum& s : p.strata) {
      const std::vector<Figure> figures = FiguresOf(s);
      for (size_t k = 0; k < figures.size(); ++k) {
        absl::StrAppend(&csv, CsvText(a.set_name), ",",
                        CsvText(PlayerLabel(a)), ",", CsvText(PlayerLabel(b)),
                        ",", CsvText(s.name), ",", s.positions, ",", s.games,
                        ",", AgreementFigureNames()[k], ",",
                        CsvNum(figures[k].value), ",", CsvNum(figures[k].lo),
                        ",", CsvNum(figures[k].hi), "\n");
      }
    }
  }
  return csv;
}

// decomposition.csv: every figure of every decomposition, one per row;
// `part` says what is compared with what.
std::string DecompositionCsv(const GapReport& report) {
  std::string csv =
      "set,player,step,trained_on,reward,stratum,positions,games,part,source,"
      "measure,value,lo,hi\n";
  for (const GapReport::Decomposition& d : report.decompositions) {
    const GapResult& inner = report.results[d.inner];
    const GapResult& total = report.results[d.total];
    const std::string head =
        absl::StrCat(CsvText(inner.set_name), ",", CsvText(inner.player), ",",
                     inner.step, ",", inner.trained_on, ",", inner.truth_spec);
    auto row = [&](const StratumResult& s, const std::string& part,
                   const std::string& source, const std::string& measure,
                   const Figure& x) {
      absl::StrAppend(&csv, head, ",", CsvText(s.name), ",", s.positions, ",",
                      s.games, ",", part, ",", source, ",", measure, ",",
                      CsvNum(x.value), ",", CsvNum(x.lo), ",", CsvNum(x.hi),
                      "\n");
    };
    for (size_t k = 0; k < inner.strata.size() && k < d.outer.size(); ++k) {
      const std::pair<const char*, const GapResult*> parts[] = {
          {"inner_value_vs_reward", &inner}, {"total_value_vs_rules", &total}};
      for (const auto& [part, result] : parts) {
        for (const SourceFigures& f : result->strata[k].sources) {
          for (size_t m = 0; m < MeasureNames().size(); ++m) {
            row(result->strata[k], part, f.source, MeasureNames()[m],
                f.figures[m]);
          }
        }
      }
      const std::vector<Figure> outer = OuterFigureList(d.outer[k]);
      for (size_t m = 0; m < outer.size(); ++m) {
        row(inner.strata[k], "outer_reward_vs_rules", "exact",
            OuterFigureNames()[m], outer[m]);
      }
    }
  }
  return csv;
}

// The inner/outer/total section of report.md (empty without any).
std::string MarkdownDecompositions(const GapReport& report) {
  if (report.decompositions.empty()) return "";
  std::string md =
      "\n## Inner, outer and total\n\n_inner_: the value against the "
      "reward's exact values (goal misgeneralization); _outer_: the reward's "
      "exact values against the rules' on the same positions "
      "(specification gaming); _total_: the value against the rules' exact "
      "values. `reward-best=rules-mistake` is the share of positions where a "
      "move best under the reward is a mistake under the rules.\n";
  const auto& heads = DecompositionHeads();
  for (const GapReport::Decomposition& d : report.decompositions) {
    absl::StrAppend(&md, "\n### ", DecompositionTitle(report, d), "\n\n|");
    for (const std::string& h : heads) absl::StrAppend(&md, " ", h, " |");
    absl::StrAppend(&md, "\n|");
    for (size_t c = 0; c < heads.size(); ++c) absl::StrAppend(&md, "---|");
    absl::StrAppend(&md, "\n");
    const GapResult& inner = report.results[d.inner];
    for (size_t k = 0; k < inner.strata.size() && k < d.outer.size(); ++k) {
      for (size_t s = 0; s < inner.strata[k].sources.size(); ++s) {
        absl::StrAppend(&md, "|");
        for (const std::string& cell : DecompositionCells(report, d, k, s)) {
          absl::StrAppend(&md, " ", cell, " |");
        }
        absl::StrAppend(&md, "\n");
      }
    }
  }
  return md;
}

// The columns of positions.csv that describe the position and its ground
// truth, shared by its rows (one per value source).
std::string PositionCsvHead(const GapResult& r, const PositionResult& p) {
  return absl::StrCat(
      CsvText(r.set_name), ",", CsvText(r.player), ",", r.step, ",", p.index,
      ",", p.game_id, ",", p.ply, ",", p.stage, ",", p.quiet ? 1 : 0, ",",
      p.threat ? 1 : 0, ",", CsvText(p.moves), ",", LabelSourceName(p.truth.source), ",",
      p.truth.target.exact ? 1 : 0, ",", CsvNum(p.truth.target.Value()), ",",
      p.truth.score.has_value() ? absl::StrCat(*p.truth.score) : "", ",",
      CsvNum(p.truth.target.wdl.win), ",", CsvNum(p.truth.target.wdl.draw), ",",
      CsvNum(p.truth.target.wdl.loss));
}

// positions.csv: every position, one row per value source.
std::string PositionsCsv(const GapReport& report) {
  std::string csv =
      "set,player,step,index,game_id,ply,stage,quiet,threat,moves,label_source,"
      "reward_exact,reward,score,reward_win,reward_draw,reward_loss,source,"
      "value,value_win,value_draw,value_loss,move,move_mistake,proven,"
      "ground_truth\n";
  for (const GapResult& r : report.results) {
    for (const PositionResult& p : r.position_results) {
      const std::string head = PositionCsvHead(r, p);
      auto row = [&](const std::string& source, const ValuePrediction& v,
                     Action move, std::optional<bool> mistake, bool proven) {
        absl::StrAppend(&csv, head, ",", source, ",", CsvNum(v.value), ",",
                        CsvNum(v.wdl.win), ",", CsvNum(v.wdl.draw), ",",
                        CsvNum(v.wdl.loss), ",",
                        move == kNoAction ? "" : absl::StrCat(move), ",",
                        mistake.has_value() ? (*mistake ? "1" : "0") : "", ",",
                        proven ? 1 : 0, ",", GroundTruthName(r), "\n");
      };
      row("value", p.raw.v, p.raw.policy_move, p.policy_mistake, p.raw.exact);
      for (size_t b = 0; b < p.search.size(); ++b) {
        row(absl::StrCat("search_", r.budgets[b]), p.search[b].q,
            p.search[b].search_move, p.search_mistake[b], p.search[b].proven);
      }
    }
  }
  return csv;
}

// The opening of report.md: title, command line and how to read it.
std::string MarkdownIntro(const GapReport& report) {
  std::string md = absl::StrCat("# az gap: learned value vs terminal reward (",
                                report.game, ")\n\n");
  if (!report.command_line.empty()) {
    absl::StrAppend(&md, "```\n", report.command_line, "\n```\n\n");
  }
  absl::StrAppend(
      &md,
      "`v` is the raw value of the evaluator, `q` (`search_N`) the root value "
      "of a search of N simulations, `reward` the ground truth: the exact "
      "terminal reward under perfect play (solver or file score) unless "
      "marked as an estimate. Intervals are 95% percentile bootstrap "
      "intervals over whole games (",
      report.bootstrap.resamples, " resamples).\n");
  return md;
}

// One result's section of report.md: heading and table of figures.
std::string MarkdownResult(const GapResult& r) {
  const auto& names = MeasureNames();
  std::string md = absl::StrFormat(
      "\n## %s, player %s\n\n%d positions from %d games (%s); ground "
      "truth: %s%s.\n\n",
      r.set_name, PlayerLabel(r), r.positions, r.games, r.set_description,
      r.labels, r.labels_estimated ? " (**estimated**, not exact)" : "");
  absl::StrAppend(&md, "| stratum | source | n |");
  for (const std::string& n : names) absl::StrAppend(&md, " ", n, " |");
  absl::StrAppend(&md, " q/v mse |\n|---|---|---|");
  for (size_t k = 0; k <= names.size(); ++k) absl::StrAppend(&md, "---|");
  absl::StrAppend(&md, "\n");
  for (const StratumResult& s : r.strata) {
    for (const SourceFigures& f : s.sources) {
      absl::StrAppend(&md, "| ", s.name, " | ", f.source, " | ", s.positions,
                      " |");
      for (const Figure& x : f.figures) {
        absl::StrAppend(&md, " ", FigureText(x), " |");
      }
      absl::StrAppend(&md, " ",
                      f.mse_ratio_to_value.has_value()
                          ? FigureText(*f.mse_ratio_to_value)
                          : "",
                      " |\n");
    }
  }
  return md;
}

// One result's worst positions as a report.md table (empty if none).
std::string MarkdownWorst(const std::string& game, const GapResult& r) {
  if (r.worst.empty()) return "";
  std::string md = absl::StrCat(
      "\nWorst positions by |v - reward| (replay with `az play --game=", game,
      " --start=MOVES`):\n\n| moves | v |");
  for (int b : r.budgets) absl::StrAppend(&md, " q@", b, " |");
  absl::StrAppend(&md, " reward | score |\n|---|---|");
  for (size_t b = 0; b < r.budgets.size(); ++b) absl::StrAppend(&md, "---|");
  absl::StrAppend(&md, "---|---|\n");
  for (int w : r.worst) {
    const PositionResult& p = r.position_results[w];
    absl::StrAppend(&md, "| `", p.moves, "` | ", Num(p.raw.v.value), " |");
    for (const SearchEvaluation& e : p.search) {
      absl::StrAppend(&md, " ", Num(e.q.value), " |");
    }
    absl::StrAppend(
        &md, " ", Num(p.truth.target.Value()), " | ",
        p.truth.score.has_value() ? absl::StrCat(*p.truth.score) : "", " |\n");
  }
  return md;
}

// The in-minus-out section of report.md (empty without differences).
std::string MarkdownDifferences(const GapReport& report) {
  if (report.differences.empty()) return "";
  const auto& names = MeasureNames();
  std::string md =
      "\n## In distribution minus out of distribution\n\n"
      "| held out | other set | player | stratum | source |";
  for (const std::string& n : names) absl::StrAppend(&md, " ", n, " |");
  absl::StrAppend(&md, "\n|---|---|---|---|---|");
  for (size_t k = 0; k < names.size(); ++k) absl::StrAppend(&md, "---|");
  absl::StrAppend(&md, "\n");
  for (const GapReport::Difference& d : report.differences) {
    for (const DifferenceFigures& f : d.figures) {
      absl::StrAppend(&md, "| ", report.results[d.in].set_name, " | ",
                      report.results[d.out].set_name, " | ",
                      PlayerLabel(report.results[d.in]), " | ", f.stratum,
                      " | ", f.source, " |");
      for (const Figure& x : f.figures) {
        absl::StrAppend(&md, " ", FigureText(x), " |");
      }
      absl::StrAppend(&md, "\n");
    }
  }
  return md;
}

// The agreement section of report.md (empty with fewer than two players).
std::string MarkdownAgreement(const GapReport& report) {
  if (report.agreement.empty()) return "";
  std::string md = absl::StrCat(
      "\n## Agreement between players\n\n"
      "Raw values `v` of every pair of players on the same positions. A sign "
      "disagreement is one value above +",
      Num(report.agreement_sign_band, 2), " and the other below -",
      Num(report.agreement_sign_band, 2),
      "; the error is the pair's mean |v - reward|.\n\n"
      "| set | players | stratum | positions |");
  for (const std::string& n : AgreementFigureNames()) {
    absl::StrAppend(&md, " ", n, " |");
  }
  absl::StrAppend(&md, "\n|---|---|---|---|");
  for (size_t k = 0; k < AgreementFigureNames().size(); ++k) {
    absl::StrAppend(&md, "---|");
  }
  absl::StrAppend(&md, "\n");
  for (const PairAgreement& p : report.agreement) {
    const GapResult& a = report.results[p.a];
    for (const AgreementStratum& s : p.strata) {
      absl::StrAppend(&md, "| ", a.set_name, " | ", PlayerLabel(a), " vs ",
                      PlayerLabel(report.results[p.b]), " | ", s.name, " | ",
                      s.positions, " |");
      for (const Figure& x : FiguresOf(s)) {
        absl::StrAppend(&md, " ", FigureText(x), " |");
      }
      absl::StrAppend(&md, "\n");
    }
  }
  return md;
}

constexpr char kTerminal[] = "set terminal pngcairo size 800,560 noenhanced";

// A picture before it is drawn: gnuplot's data file and its script.
struct Plot {
  std::string data;    // the .dat file
  std::string script;  // the .gp file, which reads the data
};

// The reliability diagram of one result: mean reward against mean value
// per bin, one line per source.
Plot ReliabilityPlot(const GapResult& r, const std::string& stem) {
  const StratumResult& all = r.strata[0];
  Plot plot;
  for (const SourceFigures& f : all.sources) {
    absl::StrAppend(&plot.data, "# ", f.source,
                    "\n# mean_value mean_reward positions\n");
    for (const ReliabilityBin& b : f.reliability) {
      if (b.positions == 0) continue;
      absl::StrAppend(&plot.data, CsvNum(b.mean_value), " ",
                      CsvNum(b.mean_target), " ", b.positions, "\n");
    }
    absl::StrAppend(&plot.data, "\n\n");
  }
  plot.script = absl::StrCat(
      kTerminal, "\nset output '", stem, "-reliability.png'\n",
      "set title 'reliability: ", r.set_name, ", ", PlayerLabel(r), "'\n",
      "set xlabel 'predicted value (bin mean)'\nset ylabel 'mean reward'\n",
      "set xrange [-1:1]\nset yrange [-1:1]\nset key top left\nset grid\n",
      "plot x title 'perfect calibration' with lines dashtype 2 lc rgb "
      "'gray'");
  for (size_t s = 0; s < all.sources.size(); ++s) {
    absl::StrAppend(&plot.script, ", '", stem, "-reliability.dat' index ", s,
                    " using 1:2 title '", all.sources[s].source,
                    "' with linespoints");
  }
  absl::StrAppend(&plot.script, "\n");
  return plot;
}

// The error by game stage of one result: each source's mse with its
// interval, per stage.
Plot StagesPlot(const GapResult& r, const std::string& stem) {
  const StratumResult& all = r.strata[0];
  Plot plot;
  for (size_t s = 0; s < all.sources.size(); ++s) {
    absl::StrAppend(&plot.data, "# ", all.sources[s].source,
                    "\n# stage_first_ply mse lo hi positions\n");
    for (const StratumResult& st : r.strata) {
      if (st.kind != StratumKind::kStage) continue;
      const Figure& mse = st.sources[s].figures[0];
      absl::StrAppend(&plot.data, st.name.substr(st.name.find(' ') + 1), " ",
                      CsvNum(mse.value), " ", CsvNum(mse.lo), " ",
                      CsvNum(mse.hi), " ", st.positions, "\n");
    }
    absl::StrAppend(&plot.data, "\n\n");
  }
  plot.script = absl::StrCat(
      kTerminal, "\nset output '", stem, "-stages.png'\n",
      "set title 'MSE to the reward by game stage: ", r.set_name, ", ",
      PlayerLabel(r), "'\n",
      "set xlabel 'game stage (plies)'\nset ylabel 'MSE (95% interval)'\n",
      "set style data histogram\nset style histogram errorbars gap 1 lw 1\n",
      "set style fill solid 0.5\nset yrange [0:*]\nset grid ytics\n", "plot ");
  for (size_t s = 0; s < all.sources.size(); ++s) {
    absl::StrAppend(&plot.script, s > 0 ? ", " : "", "'", stem,
                    "-stages.dat' index ", s, " using 2:3:4:xtic(1) title '",
                    all.sources[s].source, "'");
  }
  absl::StrAppend(&plot.script, "\n");
  return plot;
}

// Writes `stem`.dat and `stem`.gp and lists the script to be drawn.
absl::Status WritePlot(const Plot& plot, const std::string& stem,
                       DirectoryWriter& out,
                       std::vector<std::string>* scripts) {
  RETURN_IF_ERROR(out.Write(stem + ".dat", plot.data));
  RETURN_IF_ERROR(out.Write(stem + ".gp", plot.script));
  scripts->push_back(stem + ".gp");
  return absl::OkStatus();
}

// Each result's section of report.md, and for those drawn its reliability
// diagram and error by stage.
absl::Status WriteResultSections(const GapReport& report, DirectoryWriter& out,
                                 std::vector<std::string>* scripts,
                                 std::string* md) {
  int picture = 0;
  for (const GapResult& r : report.results) {
    absl::StrAppend(md, MarkdownResult(r), MarkdownWorst(report.game, r));
    if (!DrawsPictures(report, r)) continue;
    ++picture;
    const std::string stem = absl::StrFormat("r%02d-%s-%s", picture,
                                             Slug(r.set_name), Slug(r.player));
    RETURN_IF_ERROR(WritePlot(ReliabilityPlot(r, stem), stem + "-reliability",
                              out, scripts));
    RETURN_IF_ERROR(
        WritePlot(StagesPlot(r, stem), stem + "-stages", out, scripts));
    absl::StrAppend(md, "\n![reliability](", stem,
                    "-reliability.png)\n![by stage](", stem, "-stages.png)\n");
  }
  return absl::OkStatus();
}

// The results of each set that has a training step, by step.
using StepSeries = std::map<std::string, std::map<int64_t, const GapResult*>>;

// steps.dat: every measure of the "all" stratum over training steps, one
// block per set and source; `series` gets the blocks' titles.
std::string StepsData(const StepSeries& by_series,
                      std::vector<std::string>* series) {
  const auto& names = MeasureNames();
  auto number = [](double x) { return std::isnan(x) ? "NaN" : CsvNum(x); };
  std::string data;
  for (const auto& [set, steps] : by_series) {
    const GapResult& first = *steps.begin()->second;
    for (size_t s = 0; s < first.strata[0].sources.size(); ++s) {
      series->push_back(
          absl::StrCat(set, " ", first.strata[0].sources[s].source));
      absl::StrAppend(&data, "# ", series->back(), "\n# step");
      for (const std::string& n : names) {
        absl::StrAppend(&data, " ", n, " ", n, "_lo ", n, "_hi");
      }
      absl::StrAppend(&data, "\n");
      for (const auto& [step, r] : steps) {
        if (s >= r->strata[0].sources.size()) continue;
        absl::StrAppend(&data, step);
        for (const Figure& x : r->strata[0].sources[s].figures) {
          absl::StrAppend(&data, " ", number(x.value), " ", number(x.lo), " ",
                          number(x.hi));
        }
        absl::StrAppend(&data, "\n");
      }
      absl::StrAppend(&data, "\n\n");
    }
  }
  return data;
}

// The script that draws measure `k` of steps.dat, one line per series.
std::string StepsScript(size_t k, const std::vector<std::string>& series) {
  const std::string& name = MeasureNames()[k];
  std::string plot = absl::StrCat(
      kTerminal, "\nset output 'steps-", name, ".png'\n", "set title '", name,
      " over training steps'\n", "set xlabel 'training step'\nset ylabel '",
      name,
      " (95% interval)'\nset key below\nset grid\nset xtics rotate by -30\n",
      "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\nplot ");
  for (size_t s = 0; s < series.size(); ++s) {
    absl::StrAppend(&plot, s > 0 ? ", " : "", "'steps.dat' index ", s,
                    " using 1:", 2 + 3 * k, ":", 3 + 3 * k, ":", 4 + 3 * k,
                    " title '", series[s], "' with yerrorlines");
  }
  absl::StrAppend(&plot, "\n");
  return plot;
}

// Over training steps, where some set was measured at more than one step:
// steps.dat, a script per measure and their section of report.md.
absl::Status WriteStepSection(const GapReport& report, DirectoryWriter& out,
                              std::vector<std::string>* scripts,
                              std::string* md) {
  StepSeries by_series;
  for (const GapResult& r : report.results) {
    if (r.step >= 0) by_series[r.set_name][r.step] = &r;
  }
  bool any_steps = false;
  for (const auto& [set, steps] : by_series) any_steps |= steps.size() > 1;
  if (!any_steps) return absl::OkStatus();
  absl::StrAppend(md, "\n## Over training steps\n\n");
  std::vector<std::string> series;
  RETURN_IF_ERROR(out.Write("steps.dat", StepsData(by_series, &series)));
  const auto& names = MeasureNames();
  for (size_t k = 0; k < names.size(); ++k) {
    const std::string name = absl::StrCat("steps-", names[k], ".gp");
    RETURN_IF_ERROR(out.Write(name, StepsScript(k, series)));
    scripts->push_back(name);
    absl::StrAppend(md, "![", names[k], " over steps](steps-", names[k],
                    ".png)\n");
  }
  return absl::OkStatus();
}

}  // namespace

// Runs `command` through the shell; its exit status, with what it printed
// in *output.
static int RunCapturingOutput(const std::string& command, std::string* output) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[512];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output->append(buffer, n);
  }
  return ::pclose(pipe);
}

// Runs `gnuplot` once per script, in `dir`, until one fails; lists the PNGs
// drawn and says in files->note why pictures were skipped, if they were.
void DrawPlots(const std::string& dir, const std::string& gnuplot,
               const std::vector<std::string>& scripts, ReportFiles* files) {
  files->pictures_drawn = false;
  if (gnuplot.empty()) {
    files->note = "pictures skipped: no plotting program given";
    return;
  }
  const std::string probe =
      absl::StrCat("command -v ", base::ShellQuote(gnuplot),
                   " >/dev/null 2>&1");
  if (std::system(probe.c_str()) != 0) {
    files->note = absl::StrCat("pictures skipped: ", gnuplot,
                               " was not found (the .gp scripts and data "
                               "are in ",
                               dir, ")");
    return;
  }
  for (const std::string& script : scripts) {
    const std::string command =
        absl::StrCat("cd ", base::ShellQuote(dir), " && ",
                     base::ShellQuote(gnuplot), " ", base::ShellQuote(script),
                     " 2>&1");
    std::string output;
    if (RunCapturingOutput(command, &output) != 0) {
      files->note = absl::StrCat("pictures skipped: ", gnuplot, " failed on ",
                                 script, ": ", output.substr(0, 200));
      return;
    }
    files->files.push_back(script.substr(0, script.size() - 3) + ".png");
  }
  files->pictures_drawn = true;
}

absl::StatusOr<ReportFiles> WriteReportDirectory(const GapReport& report,
                                                 const std::string& dir,
                                                 const std::string& gnuplot) {
  RETURN_IF_ERROR(base::MakeDirectories(dir));
  ReportFiles files;
  DirectoryWriter out(dir, &files);
  RETURN_IF_ERROR(out.Write("figures.csv", FiguresCsv(report)));
  RETURN_IF_ERROR(out.Write("reliability.csv", ReliabilityCsv(report)));
  RETURN_IF_ERROR(out.Write("differences.csv", DifferencesCsv(report)));
  RETURN_IF_ERROR(out.Write("agreement.csv", AgreementCsv(report)));
  RETURN_IF_ERROR(
      out.Write("decomposition.csv", DecompositionCsv(report)));
  RETURN_IF_ERROR(out.Write("positions.csv", PositionsCsv(report)));
  RETURN_IF_ERROR(out.Write("report.json", ReportJson(report).dump(2) + "\n"));
  // Pictures: a data file and a gnuplot script for each, drawn at the end.
  std::vector<std::string> scripts;
  std::string md = MarkdownIntro(report);
  RETURN_IF_ERROR(WriteResultSections(report, out, &scripts, &md));
  absl::StrAppend(&md, MarkdownDifferences(report),
                  MarkdownDecompositions(report), MarkdownAgreement(report));
  RETURN_IF_ERROR(WriteStepSection(report, out, &scripts, &md));
  DrawPlots(dir, gnuplot, scripts, &files);
  if (!files.pictures_drawn) absl::StrAppend(&md, "\n_", files.note, "._\n");
  RETURN_IF_ERROR(out.Write("report.md", md));
  return files;
}

}  // namespace az::analysis
