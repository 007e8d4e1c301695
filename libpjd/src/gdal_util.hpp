#pragma once
// Private GDAL helpers.
namespace pjd::gdal {
/// Registers GDAL's drivers once and routes GDAL's own error printing away from stderr
/// (pjd reports errors itself, one line each).
void init();
}  // namespace pjd::gdal
