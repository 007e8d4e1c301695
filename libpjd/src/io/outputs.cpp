#include "pjd/outputs.hpp"

#include <gdal_priv.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "pjd/internal/atomic_file.hpp"
#include "pjd/error.hpp"
#include "pjd/internal/pyformat.hpp"
#include "pjd/version.hpp"
#include "io/gdal_util.hpp"
#include "core/time_util.hpp"

namespace fs = std::filesystem;

namespace pjd {

fs::path default_out_dir(const Stack& stack) { return stack.mintpy_dir() / "pj_evaluation"; }

OutputNames output_names(const DetectResult& result) {
  const std::string pre = result.params.pair ? *result.params.pair + "_" : std::string();
  OutputNames n;
  n.intensity_nc = pre + "intensity_pct.nc";
  n.counts_nc = pre + "coherence_cts.nc";
  n.median_nc = pre + "median_az_grad_mm.nc";
  n.mask_counts_nc = pre + "maskCoh_cts.nc";
  n.stats_txt = pre + "stats_absolute_gradient.txt";
  n.coordinates_txt = pre + "pj_coordinates.txt";
  n.magnitude_txt = pre + "magnitude_phase_jumps.txt";
  n.exclude_pairs_txt = pre + "exclude_listdate12_interferograms_by_phase_jump.txt";
  n.exclude_dates_txt = pre + "exclude_dates_by_phase_jumps.txt";
  n.summary_json = pre + "summary.json";
  return n;
}

// ---------------------------------------------------------------- text reports

std::string format_stats_txt(const DetectResult& r) {
  // report_stats() of the reference. The "< 0.75" in the header is a literal there,
  // whatever --cmin is; kept for byte parity.
  std::string s =
      "# No Data Values (Zero Values) were excluded from calculations.\n"
      "# Coherence statistics were derived from all non-NaN pixels.\n"
      "# Pixels with coherence < 0.75 were masked out during the calculation of absolute azimuth gradient and "
      "corresponding intensity.\n"
      "# The number of masked-out pixels varies between pairs.\n"
      "## Column Names/Prefixes:\n"
      "# Btemp: Temporal Baseline\n"
      "# Coh: Coherence\n"
      "# Grad: Absolute gradient along the azimuth direction \n"
      "# Med: Median, Std: Standard deviation\n\n"
      "DATE12,Btemp[days],Coh_Median,Coh_Mean,Coh_Std,Grad_Median_mm,Grad_Mean_mm,Grad_Std_mm\n";
  for (const auto& p : r.pairs) {
    s += p.pair;
    for (double v : {static_cast<double>(p.btemp_days), p.coh_median, p.coh_mean, p.coh_std, p.grad_median_mm,
                     p.grad_mean_mm, p.grad_std_mm}) {
      s += ',';
      s += python_round2(v);
    }
    s += '\n';
  }
  return s;
}

std::string format_coordinates_txt(const DetectResult& r) {
  std::string s = "#Coordinates of Phase Jump\n#Y (row index)\n";
  for (const auto& seam : r.seams) s += std::to_string(seam.row) + "\n";
  return s;
}

namespace {
// Pairs with a ramp, sorted by name (the reference's date12List_Keep after measure_pj).
std::vector<const PairResult*> assessed_sorted(const DetectResult& r) {
  std::vector<const PairResult*> v;
  for (const auto& p : r.pairs)
    if (p.ramp_mm) v.push_back(&p);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->pair < b->pair; });
  return v;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}
}  // namespace

std::string format_magnitude_txt(const DetectResult& r) {
  const auto kept = assessed_sorted(r);
  if (kept.empty()) return {};
  std::string s =
      "# Pairs found with systematic phase jumps \n"
      "# Magnitude_PJ_mm: Magnitude of the phase jump in mm, calculated with: \n"
      "# mean(phase jump of overlapping areas) * number of overlapping areas \n"
      "# DATE12 \t\tMagnitude_PJ_mm\n";
  for (const auto* p : kept) s += p->pair + "\t" + python_round2(*p->ramp_mm) + "\n";
  return s;
}

std::string format_exclude_pairs_txt(const DetectResult& r) {
  // report_ifgs2drop(): "skipped" there is every pair without a ramp (mean coherence
  // < 0.4, or no value at the seam rows), sorted by name; indices are stack positions.
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < r.pairs.size(); ++i) index.emplace(r.pairs[i].pair, i);
  std::vector<std::string> skip, skip_idx, drop_idx;
  for (const auto& p : r.pairs)
    if (!p.ramp_mm) skip.push_back(p.pair);
  std::sort(skip.begin(), skip.end());
  for (const auto& n : skip) skip_idx.push_back(std::to_string(index.at(n)));
  for (const auto& n : r.excluded_pairs) {
    auto it = index.find(n);
    if (it == index.end()) throw std::logic_error("excluded pair " + n + " is not among the result's pairs");
    drop_idx.push_back(std::to_string(it->second));
  }
  const std::string stars(10, '*');
  std::string s;
  s += stars + "\n\n";
  s += "List of pairs skipped from assessment (mean coherence < 0.4): \n";
  s += join(skip, ",") + "\n";
  s += "\nIndexes pairs skipped:\n";
  s += join(skip_idx, ",") + "\n";
  s += "\nTotal pairs skipped: " + std::to_string(skip.size()) + " \n\n";
  s += stars + "\n\n";
  s += "\nList of pairs with phase jumps larger than threshold: \n";
  s += join(r.excluded_pairs, ",") + "\n";
  s += "\nIndices of pairs with phase jump larger than threshold:\n";
  s += join(drop_idx, ",") + "\n";
  s += "\nTotal pairs with phase jump larger than threshold: " + std::to_string(r.excluded_pairs.size()) + " \n\n";
  return s;
}

std::string format_exclude_dates_txt(const DetectResult& r) {
  // report_dates2drop(): no newline after the list.
  return "Dates with more than 50% of the pairs with significant phase jump \n" + join(r.excluded_dates, ",");
}

// ---------------------------------------------------------------- netCDF

namespace {

using QuietGdal = gdal::Quiet;

std::string command_summary(const DetectResult& r) {
  const auto& p = r.params;
  std::ostringstream s;
  s << "pjd detect " << r.stack_file << " --n-burst " << p.n_burst << " --method " << p.method << " --pct "
    << python_repr(p.pct) << " --cmin " << python_repr(p.cmin) << " --pj-thr " << python_repr(p.pj_thr_mm);
  if (p.mask_avg_coh) s << " --msk-avgCoh";
  if (p.sub_x) s << " --sub-x " << p.sub_x->first << " " << p.sub_x->second;
  if (p.pair) s << " --pair " << *p.pair;
  return s.str();
}

class NcWriter {
 public:
  NcWriter(const fs::path& tmp, const fs::path& target, const DetectResult& r) : target_(target.string()) {
    gdal::init();
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("netCDF");
    if (!drv) throw_io(target_, "GDAL has no netCDF driver");
    CPLStringList opts;
    opts.SetNameValue("FORMAT", "NC4");
    opts.SetNameValue("CONVENTIONS", "CF-1.8");
    ds_.reset(drv->CreateMultiDimensional(tmp.c_str(), nullptr, opts.List()));
    if (!ds_) fail("cannot create netCDF-4 file");
    root_ = ds_->GetRootGroup();
    if (!root_) fail("no root group");
    attr(root_, "title", "pjd phase-jump row profiles (" + target.filename().string() + ")");
    attr(root_, "source", std::string("pjd ") + kVersion + ", method " + r.params.method);
    attr(root_, "history", iso_utc() + " " + command_summary(r));
    attr(root_, "references",
         "Viotto & Bookhagen, Phase Jump Detector (reference implementation: UP-RS-ESP/PhaseJumps_InSAR)");
    attr(root_, "stack_file", r.stack_file);
  }

  void fail(const std::string& what) const {
    const char* msg = CPLGetLastErrorMsg();
    throw_io(target_, "netCDF: " + what + (msg && *msg ? std::string(" (") + msg + ")" : std::string()));
  }

  template <class G>
  void attr(const std::shared_ptr<G>& obj, const std::string& name, const std::string& value) {
    auto a = obj->CreateAttribute(name, {}, GDALExtendedDataType::CreateString());
    if (!a || !a->Write(value.c_str())) fail("cannot write attribute " + name);
  }
  template <class G>
  void attr(const std::shared_ptr<G>& obj, const std::string& name, double value, GDALDataType t) {
    auto a = obj->CreateAttribute(name, {}, GDALExtendedDataType::Create(t));
    if (!a || !a->Write(value)) fail("cannot write attribute " + name);
  }

  std::shared_ptr<GDALDimension> dim(const std::string& name, std::size_t size) {
    auto d = root_->CreateDimension(name, std::string(), std::string(), size);
    if (!d) fail("cannot create dimension " + name);
    return d;
  }

  /// String coordinate `pair` (pair) and int64 coordinate `Y` 0..len-1.
  void coordinates(const DetectResult& r, std::shared_ptr<GDALDimension>* dpair, std::shared_ptr<GDALDimension>* dy) {
    const std::size_t len = r.profiles.length;
    const std::size_t n = r.pairs.size();
    if (dpair) *dpair = dim("pair", n);  // dimension order as the reference: pair, Y
    *dy = dim("Y", len);
    if (dpair) {
      auto v = root_->CreateMDArray("pair", {*dpair}, GDALExtendedDataType::CreateString());
      if (!v) fail("cannot create variable pair");
      attr(v, "long_name", "interferogram pair, reference_secondary dates (YYYYMMDD_yyyymmdd)");
      std::vector<const char*> names;
      for (const auto& p : r.pairs) names.push_back(p.pair.c_str());
      write(v, {n}, GDALExtendedDataType::CreateString(), names.data());
    }
    auto y = root_->CreateMDArray("Y", {*dy}, GDALExtendedDataType::Create(GDT_Int64));
    if (!y) fail("cannot create variable Y");
    attr(y, "long_name", "row index (azimuth, radar coordinates)");
    attr(y, "units", "1");
    std::vector<std::int64_t> rows(len);
    for (std::size_t i = 0; i < len; ++i) rows[i] = static_cast<std::int64_t>(i);
    write(y, {len}, GDALExtendedDataType::Create(GDT_Int64), rows.data());
  }

  std::shared_ptr<GDALMDArray> variable(const std::string& name, const std::vector<std::shared_ptr<GDALDimension>>& dims,
                                        GDALDataType t) {
    // Uncompressed and contiguous: the arrays are small (pairs x rows x 2-4 bytes, 1-2 MB for
    // 300 pairs), and deflate (the reference uses level 7) took 40-80 ms of a 1.3 s run, all of
    // it after the stack pass, on one thread (netCDF is not thread-safe).
    CPLStringList opts;
    auto v = root_->CreateMDArray(name, dims, GDALExtendedDataType::Create(t), opts.List());
    if (!v) fail("cannot create variable " + name);
    return v;
  }

  void write(const std::shared_ptr<GDALMDArray>& v, const std::vector<std::size_t>& count, const GDALExtendedDataType& t,
             const void* data) {
    for (auto c : count)
      if (c == 0) return;
    std::vector<GUInt64> start(count.size(), 0);
    if (!v->Write(start.data(), count.data(), nullptr, nullptr, t, data)) fail("cannot write variable " + v->GetName());
  }

  void close() {
    root_.reset();
    CPLErrorReset();
    if (ds_) GDALClose(GDALDataset::ToHandle(ds_.release()));
    if (CPLGetLastErrorType() >= CE_Failure) fail("cannot close file");
  }

  std::shared_ptr<GDALGroup> root() const { return root_; }

 private:
  std::string target_;
  GDALDatasetUniquePtr ds_;
  std::shared_ptr<GDALGroup> root_;
};

void check_profiles(const DetectResult& r) {
  const auto& pr = r.profiles;
  const std::size_t n = pr.n_pairs * pr.length;
  if (pr.n_pairs != r.pairs.size() || pr.intensity_pct.size() != n || pr.counts.size() != n ||
      pr.median_grad_mm.size() != n)
    throw std::logic_error("DetectResult.profiles does not match pairs x length");
  if (r.avg_coh_mask_used && r.avg_coh_mask_counts.size() != pr.length)
    throw std::logic_error("DetectResult.avg_coh_mask_counts does not match length");
}

enum class Profile { Intensity, Counts, Median };

void write_profile_nc(const fs::path& target, const DetectResult& r, Profile which) {
  write_atomically_with(target, [&](const fs::path& tmp) {
    QuietGdal quiet;
    NcWriter w(tmp, target, r);
    std::shared_ptr<GDALDimension> dpair, dy;
    w.coordinates(r, &dpair, &dy);
    const auto& pr = r.profiles;
    const std::vector<std::size_t> count{pr.n_pairs, pr.length};
    if (which == Profile::Intensity) {
      // The reference writes intensity.where(!= 0) as int16 through xarray, which rounds
      // half to even (np.around) and writes NaN as the fill value.
      constexpr std::int16_t kFill = -999;
      auto v = w.variable("int_pct", {dpair, dy}, GDT_Int16);
      if (!v->SetNoDataValue(static_cast<double>(kFill))) w.fail("cannot set _FillValue");
      w.attr(v, "long_name", "intensity: percentage of valid cells of the row whose |azimuth gradient| >= the pair's median");
      w.attr(v, "units", "percent");
      std::vector<std::int16_t> data(pr.intensity_pct.size());
      for (std::size_t i = 0; i < data.size(); ++i) {
        const double x = pr.intensity_pct[i];
        if (std::isnan(x) || x == 0.0) {
          data[i] = kFill;
        } else {
          const double rnd = std::nearbyint(x);
          data[i] = static_cast<std::int16_t>(std::clamp(rnd, -32768.0, 32767.0));
        }
      }
      w.write(v, count, GDALExtendedDataType::Create(GDT_Int16), data.data());
    } else if (which == Profile::Counts) {
      // No fill value, as the reference (every count is a number; 0 = no valid cell). int16
      // as the reference writes it while every count fits; a row of more than 32767 valid
      // cells (a full-resolution stack) makes it int32, which the variable's comment says
      // (the reference's int16 would wrap those counts to negative numbers).
      const bool narrow = std::all_of(pr.counts.begin(), pr.counts.end(), [](std::int32_t c) {
        return c >= std::numeric_limits<std::int16_t>::min() && c <= std::numeric_limits<std::int16_t>::max();
      });
      auto v = w.variable("NoNanCounts", {dpair, dy}, narrow ? GDT_Int16 : GDT_Int32);
      w.attr(v, "long_name", "valid cells per row (coherence >= cmin, phase and coherence non-zero, not an outlier)");
      w.attr(v, "units", "1");
      if (!narrow)
        w.attr(v, "comment",
               "int32, not int16 as the reference writes it: a row has more than 32767 valid cells, which int16 "
               "cannot hold");
      w.write(v, count, GDALExtendedDataType::Create(GDT_Int32), pr.counts.data());
    } else {
      // median.where(!= 0) as float32, _FillValue NaN.
      auto v = w.variable("abs_grad_az_mm", {dpair, dy}, GDT_Float32);
      if (!v->SetNoDataValue(std::numeric_limits<double>::quiet_NaN())) w.fail("cannot set _FillValue");
      w.attr(v, "long_name", "median absolute azimuth gradient of the row, line of sight");
      w.attr(v, "units", "mm");
      std::vector<float> data(pr.median_grad_mm.begin(), pr.median_grad_mm.end());
      for (auto& x : data)
        if (x == 0.0f) x = std::numeric_limits<float>::quiet_NaN();
      w.write(v, count, GDALExtendedDataType::Create(GDT_Float32), data.data());
    }
    w.close();
  });
}

void write_mask_counts_nc(const fs::path& target, const DetectResult& r) {
  write_atomically_with(target, [&](const fs::path& tmp) {
    QuietGdal quiet;
    NcWriter w(tmp, target, r);
    std::shared_ptr<GDALDimension> dy;
    w.coordinates(r, nullptr, &dy);
    auto v = w.variable("maskCoh_cts", {dy}, GDT_Int32);
    w.attr(v, "long_name", "cells of the row whose temporal mean coherence >= cmin (average-coherence mask)");
    w.attr(v, "units", "1");
    w.write(v, {r.profiles.length}, GDALExtendedDataType::Create(GDT_Int32), r.avg_coh_mask_counts.data());
    w.close();
  });
}

}  // namespace

std::vector<fs::path> write_outputs(const DetectResult& r, const fs::path& out_dir, bool with_summary) {
  check_profiles(r);
  ensure_output_directory(out_dir);
  const OutputNames n = output_names(r);
  std::vector<fs::path> written;
  auto nc = [&](const std::string& name, Profile which) {
    write_profile_nc(out_dir / name, r, which);
    written.push_back(out_dir / name);
  };
  auto txt = [&](const std::string& name, const std::string& content) {
    write_file_atomically(out_dir / name, content);
    written.push_back(out_dir / name);
  };
  // summary.json (every profile as JSON) is composed on another thread while the netCDF
  // files are written (the netCDF library stays on this one).
  std::future<std::string> summary;
  if (with_summary) summary = std::async(std::launch::async, [&r] { return to_json_text(r) + "\n"; });
  nc(n.intensity_nc, Profile::Intensity);
  nc(n.counts_nc, Profile::Counts);
  nc(n.median_nc, Profile::Median);
  // A file of this set that the run does not produce (mask counts when the mask is off,
  // the magnitude report when no pair was assessed) is removed if an earlier run left
  // it, so that the directory always describes one run.
  auto drop_stale = [&](const std::string& name) {
    std::error_code ec;
    if (fs::is_regular_file(out_dir / name, ec) && !fs::remove(out_dir / name, ec))
      throw_io((out_dir / name).string(), "cannot remove the file of an earlier run: " + ec.message());
  };
  if (r.avg_coh_mask_used) {
    write_mask_counts_nc(out_dir / n.mask_counts_nc, r);
    written.push_back(out_dir / n.mask_counts_nc);
  } else {
    drop_stale(n.mask_counts_nc);
  }
  txt(n.stats_txt, format_stats_txt(r));
  txt(n.coordinates_txt, format_coordinates_txt(r));
  if (auto mag = format_magnitude_txt(r); !mag.empty())
    txt(n.magnitude_txt, mag);
  else
    drop_stale(n.magnitude_txt);
  txt(n.exclude_pairs_txt, format_exclude_pairs_txt(r));
  txt(n.exclude_dates_txt, format_exclude_dates_txt(r));
  if (with_summary) txt(n.summary_json, summary.get());
  return written;
}

}  // namespace pjd
