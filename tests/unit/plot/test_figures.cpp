// Figures: every file exists, is a valid PNG of the expected size and is not blank;
// SVG and PDF on request; pjd figures redraws from a result directory.
#include <catch2/catch.hpp>
#include <gdal_priv.h>

#include <cmath>
#include <fstream>
#include <string>

#include "helpers.hpp"
#include "pjd/detect.hpp"
#include "pjd/error.hpp"
#include "pjd/figures.hpp"
#include "pjd/stack.hpp"
#include "test_config.hpp"

namespace fs = std::filesystem;
using pjd::test::run_pjd;
using pjd::test::TempDir;

namespace {

std::string parity(const std::string& c) { return std::string(pjd::test::kParityDir) + "/" + c; }

struct PngStats {
  int width = 0, height = 0, bands = 0;
  double variance = 0;  ///< of the grey level over every pixel
  double share_not_white = 0;
};

/// Decodes a PNG with GDAL's PNG driver.
PngStats png_stats(const fs::path& file) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(static_cast<GDALDataset*>(GDALOpenEx(
      file.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, std::vector<const char*>{"PNG", nullptr}.data(), nullptr, nullptr)));
  REQUIRE(ds != nullptr);
  PngStats s;
  s.width = ds->GetRasterXSize();
  s.height = ds->GetRasterYSize();
  s.bands = ds->GetRasterCount();
  const std::size_t n = static_cast<std::size_t>(s.width) * s.height;
  std::vector<double> grey(n, 0.0);
  std::vector<unsigned char> buf(n);
  const int colour_bands = std::min(3, s.bands);
  for (int b = 1; b <= colour_bands; ++b) {
    REQUIRE(ds->GetRasterBand(b)->RasterIO(GF_Read, 0, 0, s.width, s.height, buf.data(), s.width, s.height, GDT_Byte,
                                           0, 0) == CE_None);
    for (std::size_t i = 0; i < n; ++i) grey[i] += buf[i] / static_cast<double>(colour_bands);
  }
  double mean = 0;
  std::size_t not_white = 0;
  for (double g : grey) {
    mean += g;
    if (g < 250) ++not_white;
  }
  mean /= static_cast<double>(n);
  for (double g : grey) s.variance += (g - mean) * (g - mean);
  s.variance /= static_cast<double>(n);
  s.share_not_white = static_cast<double>(not_white) / static_cast<double>(n);
  return s;
}

std::string head(const fs::path& f, std::size_t n) {
  std::ifstream in(f, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

void check_png(const fs::path& f, const std::string& base) {
  INFO(f.string());
  REQUIRE(fs::exists(f));
  CHECK(head(f, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  const auto s = png_stats(f);
  const auto want = pjd::figure_size(base, {});
  CHECK(s.width == want.width);
  CHECK(s.height == want.height);
  CHECK(s.bands >= 3);
  CHECK(s.variance > 200.0);        // not one flat colour
  // Something is drawn beyond a frame and labels: images fill their panels; the time
  // series is a line plot (frame, labels and legend alone cover under 2.5%).
  CHECK(s.share_not_white > (base == "timeserie_phase_jump" ? 0.03 : 0.3));
}

}  // namespace

TEST_CASE("figures: every summary figure is a non-blank PNG of its size", "[figures]") {
  const auto stack = pjd::Stack::open(parity("nominal"));
  pjd::DetectParams p;
  p.method = "published";
  p.n_burst = 6;
  p.threads = 2;
  const auto r = pjd::detect(stack, p);
  REQUIRE(r.avg_coherence.size() == r.length * (r.x1 - r.x0));
  TempDir dir("figures_png");
  const auto files = pjd::write_summary_figures(r, r.avg_coherence, dir.path() / "figs");
  REQUIRE(files.size() == 4);
  for (const char* base : {"timeserie_phase_jump", "masked_intensity", "detrended_intensity", "average_coherence_mask"})
    check_png(dir.path() / "figs" / (std::string(base) + ".png"), base);
  // No temporary file left behind.
  for (const auto& e : fs::directory_iterator(dir.path() / "figs")) CHECK(e.path().filename().string()[0] != '.');
}

TEST_CASE("figures: without the average coherence, three figures", "[figures]") {
  const auto stack = pjd::Stack::open(parity("lowcoh_lzf"));
  pjd::DetectParams p;
  p.method = "published";
  p.n_burst = 9;
  const auto r = pjd::detect(stack, p);
  TempDir dir("figures_noavg");
  const auto files = pjd::write_summary_figures(r, {}, dir.path());
  CHECK(files.size() == 3);
  CHECK_FALSE(fs::exists(dir.path() / "average_coherence_mask.png"));
  check_png(dir.path() / "masked_intensity.png", "masked_intensity");
  // A wrong-sized average coherence is refused.
  CHECK_THROWS_AS(pjd::write_summary_figures(r, std::vector<float>(7, 0.5f), dir.path()), pjd::Error);
}

TEST_CASE("figures: per-pair figure of a descending sub-swath, SVG and PDF", "[figures]") {
  const auto stack = pjd::Stack::open(parity("descending_subx"));
  pjd::DetectParams p;
  p.method = "published";
  p.n_burst = 4;
  p.sub_x = std::make_pair(std::size_t(20), std::size_t(180));
  p.cmin = 0.7;
  p.pct = 0.1;
  p.mask_avg_coh = true;
  p.pj_thr_mm = 3;
  const auto r = pjd::detect(stack, p);
  TempDir dir("figures_pair");
  const auto& pair = r.pairs.at(1).pair;
  const auto im = pjd::pair_images(stack, r, pair);
  CHECK(im.cols == 160);
  CHECK(im.rows == r.length);
  // The first and last two rows have no gradient; values are in mm, below the 99th percentile.
  for (std::size_t x = 0; x < im.cols; ++x) CHECK(std::isnan(im.abs_grad_mm[x]));
  const auto f = pjd::write_pair_figure(r, im, dir.path());
  check_png(f, "abs_grad_az");
  CHECK(f.filename() == "abs_grad_az_" + pair + ".png");

  pjd::FigureOptions svg;
  svg.format = pjd::FigureFormat::Svg;
  const auto fs_ = pjd::write_summary_figures(r, r.avg_coherence, dir.path() / "svg", svg);
  for (const auto& file : fs_) {
    CHECK(file.extension() == ".svg");
    CHECK(head(file, 200).find("<svg") != std::string::npos);
  }
  pjd::FigureOptions pdf;
  pdf.format = pjd::FigureFormat::Pdf;
  const auto fp = pjd::write_pair_figure(r, im, dir.path() / "pdf", pdf);
  CHECK(head(fp, 5) == "%PDF-");
  CHECK_THROWS_AS(pjd::parse_enum<pjd::FigureFormat>("gif"), pjd::Error);
}

TEST_CASE("pjd detect writes figures by default, pjd figures redraws them", "[figures][cli]") {
  TempDir out("figures_cli");
  auto r = run_pjd("detect " + parity("nominal") + " --method published --n-burst 6 --no-catalog --progress none --out " + out.path().string());
  REQUIRE(r.exit_code == 0);
  for (const char* base : {"timeserie_phase_jump", "masked_intensity", "detrended_intensity", "average_coherence_mask"})
    check_png(out.path() / "figs" / (std::string(base) + ".png"), base);

  TempDir none("figures_cli_none");
  r = run_pjd("detect " + parity("nominal") + " --method published --n-burst 6 --no-figures --progress none --out " + none.path().string());
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(fs::exists(none.path() / "figs"));

  // Redraw from the result directory, as SVG, into another directory.
  r = run_pjd("figures " + out.path().string() + " --figure-format svg --out " + (out.path() / "svg").string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(out.path() / "svg" / "average_coherence_mask.svg"));
  CHECK(fs::exists(out.path() / "svg" / "timeserie_phase_jump.svg"));
  // Without the stack: three figures and no error.
  r = run_pjd("figures " + out.path().string() + " --no-stack --out " + (out.path() / "nostack").string());
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(out.path() / "nostack" / "masked_intensity.png"));
  CHECK_FALSE(fs::exists(out.path() / "nostack" / "average_coherence_mask.png"));

  // Usage errors exit 2; a missing result exits 3 naming the file.
  r = run_pjd("figures " + out.path().string() + " --figure-format gif");
  CHECK(r.exit_code == 2);
  r = run_pjd("figures /nonexistent/result");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("/nonexistent/result") != std::string::npos);
  r = run_pjd("detect " + parity("nominal") + " --method published --n-burst 6 --plot-ind --no-figures");
  CHECK(r.exit_code == 2);
}
