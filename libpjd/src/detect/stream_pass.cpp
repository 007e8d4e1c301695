#include "detect/stream_pass.hpp"

#include <charconv>
#include <limits>
#include <string>

#include "pjd/error.hpp"

namespace pjd {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

StreamPass::StreamPass(const Stack& stack, const DetectParams& params, std::size_t x0, std::size_t x1,
                       std::vector<std::size_t> pair_idx)
    : stack_(stack), params_(params), pair_idx_(std::move(pair_idx)), rows_(stack.length()), x0_(x0), x1_(x1),
      cols_(x1 - x0), plane_(rows_ * cols_), threads_(pass_threads(params)) {
  const std::size_t np = pair_idx_.size();
  intensity.assign(np * rows_, 0.0);
  med_grad.assign(np * rows_, 0.0);
  counts.assign(np * rows_, -999);
  stats.resize(np);
  coh_sum.assign(plane_, 0.0f);
  coh_cnt.assign(plane_, 0);
  todo_.resize(np);
  for (std::size_t q = 0; q < np; ++q) todo_[q] = q;
}

void StreamPass::reuse(const ProfileCache* cache, const std::function<bool(const PairProfile&)>& accept,
                       const std::function<void(std::size_t, const PairProfile&)>& on_reused) {
  if (!cache) return;
  std::vector<std::size_t> left;
  for (const std::size_t q : todo_) {
    const auto it = cache->find(stack_.pairs()[pair_idx_[q]].name());
    const PairProfile* known = it == cache->end() ? nullptr : &it->second;
    if (!known || known->intensity_pct.size() != rows_ || known->counts.size() != rows_ ||
        known->median_grad_mm.size() != rows_ || !accept(*known)) {
      left.push_back(q);
      continue;
    }
    const PairResult& s = known->stats;
    stats[q] = published::PairStats{s.coh_median, s.coh_mean, s.coh_std, s.grad_median_mm, s.grad_mean_mm,
                                    s.grad_std_mm, s.skipped};
    std::copy(known->intensity_pct.begin(), known->intensity_pct.end(), intensity.begin() + q * rows_);
    std::copy(known->median_grad_mm.begin(), known->median_grad_mm.end(), med_grad.begin() + q * rows_);
    std::copy(known->counts.begin(), known->counts.end(), counts.begin() + q * rows_);
    on_reused(q, *known);
    ++n_reused;
  }
  todo_ = std::move(left);
}

std::vector<std::pair<std::size_t, std::size_t>> StreamPass::blocks_of(const std::vector<std::size_t>& list,
                                                                       std::size_t per_block) {
  std::vector<std::pair<std::size_t, std::size_t>> blocks;
  for (std::size_t i = 0; i < list.size();) {
    std::size_t j = i + 1;
    while (j < list.size() && j - i < per_block && list[j] == list[j - 1] + 1) ++j;
    blocks.emplace_back(i, j);
    i = j;
  }
  return blocks;
}

void StreamPass::read_block(Block& b, const std::vector<std::size_t>& list, std::size_t p0, std::size_t p1,
                            bool with_unw) {
  const auto t0 = Clock::now();
  b.p0 = p0;
  b.p1 = p1;
  const std::size_t n = (p1 - p0) * plane_;
  b.coh.resize(n);
  stack_.read("coherence", list[p0], list[p0] + (p1 - p0), x0_, x1_, b.coh.data());
  if (with_unw) {
    b.unw.resize(n);
    stack_.read("unwrapPhase", list[p0], list[p0] + (p1 - p0), x0_, x1_, b.unw.data());
  }
  t_read += seconds_since(t0);
}

void StreamPass::sum_block(const Block& b, const std::vector<std::size_t>& list) {
  // Cells split by row ranges; within a cell, pairs are added in stack order (numpy's order).
  const auto& keep = stack_.keep();
  const std::size_t chunk = std::max<std::size_t>(1, rows_ / (4 * threads_));
  const std::size_t nchunks = (rows_ + chunk - 1) / chunk;
  parallel_for(nchunks, threads_, [&](std::size_t ci, unsigned) {
    const std::size_t r0 = ci * chunk, r1 = std::min(rows_, r0 + chunk);
    for (std::size_t q = b.p0; q < b.p1; ++q) {
      if (!keep[list[q]]) continue;
      const float* c = b.coh.data() + (q - b.p0) * plane_ + r0 * cols_;
      published::avg_coh_accumulate(c, (r1 - r0) * cols_, coh_sum.data() + r0 * cols_, coh_cnt.data() + r0 * cols_);
    }
  });
}

void StreamPass::refuse_bad_cell(std::size_t pair, const published::BadCell& bad) const {
  char v[32];
  const auto [end, ec] = std::to_chars(v, v + sizeof v, bad.value);
  const std::string value(v, end);
  const std::string where = "dataset " + std::string(bad.coherence ? "coherence" : "unwrapPhase") + ", pair " +
                            stack_.pairs()[pair].name() + " (index " + std::to_string(pair) + "), row " +
                            std::to_string(bad.row) + ", column " + std::to_string(x0_ + bad.col) + ": ";
  throw Error(ErrorKind::Data, stack_.file().string(),
              where + (bad.coherence ? "coherence " + value + " is outside 0 to 1 (NaN marks no data)"
                                     : "the unwrapped phase is " + value + " (NaN or 0 marks no data)"));
}

void StreamPass::sum_coherence() {
  std::fill(coh_sum.begin(), coh_sum.end(), 0.0f);
  std::fill(coh_cnt.begin(), coh_cnt.end(), 0);
  std::vector<std::size_t> all(stack_.n_pairs());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const std::size_t bp = std::max<std::size_t>(1, stack_.block_pairs({"coherence"}, cols_, params_.block_bytes));
  Block b;
  for (std::size_t p0 = 0; p0 < all.size(); p0 += bp) {
    read_block(b, all, p0, std::min(all.size(), p0 + bp), false);
    // These pairs may not be analysed (--pair, reused pairs): the cells they add are checked
    // here, as process_pair checks those of the pairs it analyses.
    for (std::size_t q = b.p0; q < b.p1; ++q) {
      if (!stack_.keep()[all[q]]) continue;
      const float* c = b.coh.data() + (q - b.p0) * plane_;
      if (const std::size_t i = published::first_bad_coherence(c, plane_); i < plane_)
        refuse_bad_cell(all[q], published::BadCell{true, true, i / cols_, i % cols_, c[i]});
    }
    sum_block(b, all);
  }
  coh_summed = true;
}

std::vector<float> StreamPass::mean_coherence() const {
  std::vector<float> mean(plane_);
  for (std::size_t i = 0; i < plane_; ++i)
    mean[i] = coh_cnt[i] > 0 ? static_cast<float>(static_cast<double>(coh_sum[i]) / static_cast<double>(coh_cnt[i]))
                             : std::numeric_limits<float>::quiet_NaN();
  return mean;
}

}  // namespace pjd
