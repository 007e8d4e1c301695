// Exclusions for MintPy: the template edit and the network check (see pjd/exclude.hpp).
#include "pjd/exclude.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <queue>
#include <set>
#include <sstream>

#include "pjd/internal/atomic_file.hpp"
#include "pjd/error.hpp"

namespace pjd {
namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// A template value as a list: brackets dropped, split at commas and blanks;
/// auto / no / none mean empty.
std::vector<std::string> parse_list(const std::string& value) {
  std::string v;
  for (char c : value)
    if (c != '[' && c != ']') v += (c == ',' ? ' ' : c);
  std::vector<std::string> out;
  std::istringstream in(v);
  for (std::string item; in >> item;) {
    std::string low = item;
    std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return std::tolower(c); });
    if (low == "auto" || low == "no" || low == "none") continue;
    out.push_back(item);
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

/// One line of a template split into prefix ("key =" plus blanks), value, and the rest
/// (blanks and "# comment"), or nothing when it is not a setting of `key`.
struct KeyLine {
  std::string prefix, value, rest;
};
std::optional<KeyLine> match_key(const std::string& line, const std::string& key) {
  const std::string t = trim(line);
  if (t.empty() || t[0] == '#' || t[0] == '%' || t[0] == '!') return std::nullopt;
  const auto eq = line.find('=');
  if (eq == std::string::npos || trim(line.substr(0, eq)) != key) return std::nullopt;
  std::size_t vb = eq + 1;
  while (vb < line.size() && (line[vb] == ' ' || line[vb] == '\t')) ++vb;
  std::size_t hash = line.find('#', vb);
  std::size_t ve = hash == std::string::npos ? line.size() : hash;
  // The value ends before the blanks that precede the comment (or the line end).
  std::size_t vend = ve;
  while (vend > vb && (line[vend - 1] == ' ' || line[vend - 1] == '\t' || line[vend - 1] == '\r')) --vend;
  KeyLine k;
  k.prefix = line.substr(0, vb);
  if (k.prefix.size() == eq + 1) k.prefix += ' ';
  k.value = line.substr(vb, vend - vb);
  k.rest = line.substr(vend);
  return k;
}

}  // namespace

ExclusionSet exclusions_of(const DetectResult& r, bool with_dates) {
  ExclusionSet s;
  s.pairs = sorted_unique(r.excluded_pairs);
  if (with_dates) s.dates = sorted_unique(r.excluded_dates);
  for (const auto& p : r.pairs)
    if (p.ramp_mm) s.ramp_mm[p.pair] = *p.ramp_mm;
  return s;
}

TemplateEdit edit_template(const std::string& text, const ExclusionSet& set, bool replace) {
  // Lines, remembering whether the text ended with a newline.
  std::vector<std::string> lines;
  {
    std::size_t b = 0;
    while (b < text.size()) {
      const auto e = text.find('\n', b);
      if (e == std::string::npos) {
        lines.push_back(text.substr(b));
        break;
      }
      lines.push_back(text.substr(b, e - b));
      b = e + 1;
    }
  }
  const bool final_newline = text.empty() || text.back() == '\n';
  TemplateEdit out;
  struct KeySpec {
    const char* key;
    const std::vector<std::string>* wanted;
    std::vector<std::string>* added;
  };
  const std::vector<KeySpec> keys{{kExcludeDate12Key, &set.pairs, &out.pairs_added},
                                  {kExcludeDateKey, &set.dates, &out.dates_added}};
  std::vector<std::string> appended_lines;
  for (const auto& spec : keys) {
    // Existing entries over every occurrence (MintPy takes the last; they are made equal).
    std::vector<std::string> existing;
    bool present = false;
    for (const auto& l : lines)
      if (auto k = match_key(l, spec.key)) {
        present = true;
        for (auto& v : parse_list(k->value)) existing.push_back(v);
      }
    existing = sorted_unique(existing);
    std::vector<std::string> value = replace ? *spec.wanted : existing;
    if (!replace) value.insert(value.end(), spec.wanted->begin(), spec.wanted->end());
    value = sorted_unique(value);
    for (const auto& v : *spec.wanted)
      if (!std::binary_search(existing.begin(), existing.end(), v)) spec.added->push_back(v);
    const std::string new_value = value.empty() ? "auto" : join(value);
    if (present) {
      for (auto& l : lines)
        if (auto k = match_key(l, spec.key)) {
          if (k->value == new_value) continue;
          const std::string nl = k->prefix + new_value + k->rest;
          out.diff.push_back("-" + l);
          out.diff.push_back("+" + nl);
          l = nl;
        }
    } else {
      appended_lines.push_back(std::string(spec.key) + " = " + new_value);
      out.keys_appended.push_back(spec.key);
    }
  }
  if (!appended_lines.empty()) {
    lines.push_back("## pjd exclude: pairs and dates with phase jumps at burst seams");
    out.diff.push_back("+" + lines.back());
    for (const auto& l : appended_lines) {
      lines.push_back(l);
      out.diff.push_back("+" + l);
    }
  }
  out.changed = !out.diff.empty();
  if (!out.changed) {
    out.text = text;
    return out;
  }
  std::string t;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    t += lines[i];
    if (i + 1 < lines.size() || final_newline || !appended_lines.empty()) t += "\n";
  }
  out.text = t;
  return out;
}

namespace {

/// The template as it is now: where it really lives (a symbolic link resolved), its text and
/// its permission bits; nothing when it does not exist yet. Refuses what is not a regular
/// text file without blocking or writing: the type is checked with stat() before the file is
/// opened (non-blocking, then checked again on the descriptor), so a FIFO never hangs.
struct ExistingTemplate {
  fs::path target;
  std::string text;
  fs::perms mode = fs::perms::none;
};

std::optional<ExistingTemplate> read_template_file(const fs::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  const auto link = fs::symlink_status(file, ec);
  if (ec || link.type() == fs::file_type::not_found) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw_data(name, "cannot read the template's status: " + ec.message());
    return std::nullopt;  // a new template
  }
  ExistingTemplate t;
  t.target = file;
  if (link.type() == fs::file_type::symlink) {
    // Edited through the link: the file it points to changes, the link stays a link.
    t.target = fs::canonical(file, ec);
    if (ec) {
      std::error_code ec2;
      const auto to = fs::read_symlink(file, ec2);
      throw_data(name, "the template is a symbolic link to " + (ec2 ? std::string("?") : to.string()) +
                           ", which cannot be followed (" + ec.message() + ")");
    }
  }
  const std::string tname = t.target.string();
  auto not_regular = [&](mode_t m) {
    const char* what = S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket" : "a device";
    throw_data(tname, std::string("the template is not a regular file (") + what + ")");
  };
  struct stat sb {};
  if (::stat(tname.c_str(), &sb) != 0) throw_data(tname, std::string("cannot read the template: ") + std::strerror(errno));
  if (!S_ISREG(sb.st_mode)) not_regular(sb.st_mode);
  const int fd = ::open(tname.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw_data(tname, std::string("cannot open the template for reading: ") + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  if (::fstat(fd, &sb) != 0) throw_data(tname, std::string("cannot read the template: ") + std::strerror(errno));
  if (!S_ISREG(sb.st_mode)) not_regular(sb.st_mode);  // replaced between stat and open
  t.mode = static_cast<fs::perms>(sb.st_mode & 07777);
  char buf[65536];
  for (;;) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_data(tname, std::string("cannot read the template: ") + std::strerror(errno));
    }
    t.text.append(buf, static_cast<std::size_t>(got));
  }
  static const char kHdf5Signature[] = "\x89HDF\r\n\x1a\n";
  if (t.text.compare(0, 8, kHdf5Signature, 8) == 0)
    throw_data(tname, "the template is an HDF5 file, not a smallbaselineApp text template: refusing to append to it");
  if (const auto nul = t.text.find('\0'); nul != std::string::npos)
    throw_data(tname, "the template is not a text file (a NUL byte at offset " + std::to_string(nul) +
                          "): refusing to append to a binary file");
  return t;
}

}  // namespace

TemplateEdit update_template_file(const fs::path& file, const ExclusionSet& set, bool replace, bool dry_run,
                                  const std::vector<fs::path>& inputs) {
  const auto existing = read_template_file(file);
  const fs::path target = existing ? existing->target : file;
  if (existing) {
    for (const auto& in : inputs) {
      std::error_code ec;
      if (!in.empty() && fs::equivalent(target, in, ec) && !ec)
        throw_data(target.string(), "the template is " + in.string() +
                                        ", an input of this run: give the smallbaselineApp template (a text file)");
    }
  }
  TemplateEdit e = edit_template(existing ? existing->text : std::string(), set, replace);
  if (e.changed && !dry_run) {
    AtomicFile out(target);
    if (existing) {
      // The edited file keeps the original's permission bits (set before the text is
      // written, so a private template is never readable by others, even for a moment).
      std::error_code ec;
      fs::permissions(out.temporary(), existing->mode, fs::perm_options::replace, ec);
      if (ec) throw_io(target.string(), "cannot give the edited template the original's permissions: " + ec.message());
    }
    out.stream() << e.text;
    out.commit();
  }
  return e;
}

// ---------------------------------------------------------------- network

std::vector<std::string> pairs_to_drop(const std::vector<std::string>& stack_pairs, const ExclusionSet& set) {
  std::vector<std::string> out;
  const std::set<std::string> ps(set.pairs.begin(), set.pairs.end()), ds(set.dates.begin(), set.dates.end());
  for (const auto& p : stack_pairs) {
    const auto u = p.find('_');
    const std::string a = p.substr(0, u), b = u == std::string::npos ? "" : p.substr(u + 1);
    if (ps.count(p) || ds.count(a) || ds.count(b)) out.push_back(p);
  }
  return sorted_unique(out);
}

namespace {

struct Graph {
  std::vector<std::string> dates;        ///< node names
  std::map<std::string, std::size_t> id;
  std::size_t node(const std::string& d) {
    auto it = id.find(d);
    if (it != id.end()) return it->second;
    id.emplace(d, dates.size());
    dates.push_back(d);
    return dates.size() - 1;
  }
};

struct DisjointSets {
  std::vector<std::size_t> parent;
  explicit DisjointSets(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(std::size_t a, std::size_t b) { parent[find(a)] = find(b); }
};

std::pair<std::string, std::string> split_pair(const std::string& p) {
  const auto u = p.find('_');
  return {p.substr(0, u), u == std::string::npos ? std::string() : p.substr(u + 1)};
}

}  // namespace

NetworkCheck check_network(const std::vector<std::string>& pairs, const std::vector<bool>& kept,
                           const std::vector<std::string>& drop, const std::map<std::string, double>& ramp_mm) {
  const std::set<std::string> dropset(drop.begin(), drop.end());
  Graph g;
  struct Edge {
    std::size_t a, b;
    std::string name;
    bool after;  ///< kept after the change
  };
  std::vector<Edge> edges;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i < kept.size() && !kept[i]) continue;
    const auto [d1, d2] = split_pair(pairs[i]);
    edges.push_back({g.node(d1), g.node(d2), pairs[i], !dropset.count(pairs[i])});
  }
  const std::size_t n = g.dates.size();
  NetworkCheck c;
  std::vector<bool> in_after(n, false);
  DisjointSets before(n), after(n);
  for (const auto& e : edges) {
    before.unite(e.a, e.b);
    if (e.after) {
      after.unite(e.a, e.b);
      in_after[e.a] = in_after[e.b] = true;
      ++c.pairs_after;
    }
  }
  c.pairs_before = edges.size();
  c.dates_before = n;
  std::set<std::size_t> roots_before, roots_after;
  std::map<std::size_t, std::vector<std::size_t>> comp_after;
  for (std::size_t v = 0; v < n; ++v) {
    roots_before.insert(before.find(v));
    if (in_after[v]) {
      roots_after.insert(after.find(v));
      comp_after[after.find(v)].push_back(v);
      ++c.dates_after;
    } else {
      c.dates_removed.push_back(g.dates[v]);
    }
  }
  c.components_before = roots_before.size();
  c.components_after = roots_after.size();
  std::sort(c.dates_removed.begin(), c.dates_removed.end());
  if (comp_after.size() > 1) {
    // The largest component (ties: the one with the earliest date) is the main one.
    auto best = comp_after.begin();
    auto earliest = [&](const std::vector<std::size_t>& vs) {
      std::string m = "99999999";
      for (auto v : vs) m = std::min(m, g.dates[v]);
      return m;
    };
    for (auto it = comp_after.begin(); it != comp_after.end(); ++it)
      if (it->second.size() > best->second.size() ||
          (it->second.size() == best->second.size() && earliest(it->second) < earliest(best->second)))
        best = it;
    for (const auto& [root, vs] : comp_after)
      if (root != best->first)
        for (auto v : vs) c.dates_cut_off.push_back(g.dates[v]);
    std::sort(c.dates_cut_off.begin(), c.dates_cut_off.end());
  }
  if (!c.disconnects()) return c;

  // Fewest pairs to keep: grow from the largest component, each time along the
  // cheapest path (kept pairs cost 0, dropped ones 1 plus a small share of their ramp)
  // to a node of another component; a component that cannot be reached (it was apart
  // before too) starts a new tree. Shortest paths on a 0/1 graph: exact for two
  // components, a greedy Steiner tree beyond.
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> adj(n);  // node -> (node, edge)
  for (std::size_t i = 0; i < edges.size(); ++i) {
    adj[edges[i].a].push_back({edges[i].b, i});
    adj[edges[i].b].push_back({edges[i].a, i});
  }
  double max_ramp = 1;
  for (const auto& [k, v] : ramp_mm) max_ramp = std::max(max_ramp, std::fabs(v));
  auto cost = [&](const Edge& e) {
    if (e.after) return 0.0;
    auto it = ramp_mm.find(e.name);
    const double r = it == ramp_mm.end() ? max_ramp : std::fabs(it->second);
    return 1.0 + 0.5 * r / (max_ramp * static_cast<double>(edges.size() + 1));
  };
  std::vector<bool> in_tree(n, false);
  std::set<std::size_t> pending;
  for (const auto& [root, vs] : comp_after) pending.insert(root);
  std::set<std::string> keep;
  auto absorb = [&](std::size_t root) {
    for (auto v : comp_after[root]) in_tree[v] = true;
    pending.erase(root);
  };
  // Start from the main component.
  {
    std::size_t main_root = 0;
    std::size_t best = 0;
    for (const auto& [root, vs] : comp_after)
      if (vs.size() > best) {
        best = vs.size();
        main_root = root;
      }
    absorb(main_root);
  }
  while (!pending.empty()) {
    std::vector<double> dist(n, INFINITY);
    std::vector<std::size_t> via(n, SIZE_MAX);
    using QE = std::pair<double, std::size_t>;
    std::priority_queue<QE, std::vector<QE>, std::greater<>> q;
    for (std::size_t v = 0; v < n; ++v)
      if (in_tree[v]) {
        dist[v] = 0;
        q.push({0, v});
      }
    std::size_t hit = SIZE_MAX;
    while (!q.empty()) {
      auto [d, v] = q.top();
      q.pop();
      if (d > dist[v]) continue;
      if (!in_tree[v] && in_after[v] && pending.count(after.find(v))) {
        hit = v;
        break;
      }
      for (auto [w, ei] : adj[v]) {
        const double nd = d + cost(edges[ei]);
        if (nd < dist[w]) {
          dist[w] = nd;
          via[w] = ei;
          q.push({nd, w});
        }
      }
    }
    if (hit == SIZE_MAX) {
      // Nothing else reachable: the next largest pending component starts a new tree.
      std::size_t next = *pending.begin();
      for (auto r : pending)
        if (comp_after[r].size() > comp_after[next].size()) next = r;
      absorb(next);
      continue;
    }
    for (std::size_t v = hit; !in_tree[v];) {
      const Edge& e = edges[via[v]];
      if (!e.after) keep.insert(e.name);
      in_tree[v] = true;
      v = e.a == v ? e.b : e.a;
    }
    absorb(after.find(hit));
  }
  c.pairs_to_keep.assign(keep.begin(), keep.end());
  return c;
}

}  // namespace pjd
