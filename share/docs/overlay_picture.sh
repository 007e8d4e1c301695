#!/usr/bin/env bash
# Makes docs/overlay_seams.png: one simulated interferogram, geocoded with GDAL's
# geolocation arrays, coloured, with pjd's seam lines burnt in. GDAL tools only.
# Usage: bash share/docs/overlay_picture.sh PJD_EXECUTABLE OUT_PNG
set -euo pipefail
pjd="$1"
png="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$pjd" simulate scene --size small --n-burst 6 --seed 42 --orbit desc --progress none >/dev/null
"$pjd" detect scene -n 6 --no-catalog --no-figures --progress none --out res >/dev/null
"$pjd" overlay res --out seams.gpkg --layers seams
# The pair with the largest true ramp (1-based band of unwrapPhase).
band=$(/usr/bin/python3 -c "
import json; p = json.load(open('scene/truth.json'))['pairs']
print(1 + max(range(len(p)), key=lambda i: p[i]['ramp_mm']))")
gdal_translate -q -b "$band" HDF5:"scene/inputs/ifgramStack.h5"://unwrapPhase phase_radar.tif
gdal_translate -q HDF5:"scene/inputs/geometryRadar.h5"://longitude lon.tif
gdal_translate -q HDF5:"scene/inputs/geometryRadar.h5"://latitude lat.tif
read -r width length < <(gdalinfo phase_radar.tif | sed -n 's/^Size is \([0-9]*\), \([0-9]*\)/\1 \2/p')
cat > phase.vrt <<VRT
<VRTDataset rasterXSize="$width" rasterYSize="$length">
  <Metadata domain="GEOLOCATION">
    <MDI key="SRS">EPSG:4326</MDI>
    <MDI key="X_DATASET">lon.tif</MDI><MDI key="X_BAND">1</MDI>
    <MDI key="Y_DATASET">lat.tif</MDI><MDI key="Y_BAND">1</MDI>
    <MDI key="PIXEL_OFFSET">0</MDI><MDI key="LINE_OFFSET">0</MDI>
    <MDI key="PIXEL_STEP">1</MDI><MDI key="LINE_STEP">1</MDI>
  </Metadata>
  <VRTRasterBand dataType="Float32" band="1">
    <NoDataValue>0</NoDataValue>
    <SimpleSource><SourceFilename relativeToVRT="1">phase_radar.tif</SourceFilename><SourceBand>1</SourceBand></SimpleSource>
  </VRTRasterBand>
</VRTDataset>
VRT
# No-data must not be 0 here: gdaldem would then drop the palette's 0 entry.
gdalwarp -q -geoloc -t_srs EPSG:4326 -tr 0.0003 0.0003 -r bilinear -srcnodata 0 -dstnodata -9999 phase.vrt phase_geo.tif
printf -- "-2 33 102 172\n-1 103 169 207\n0 247 247 247\n1 239 138 98\n2 178 24 43\nnv 235 235 235\n" > ramp.txt
gdaldem color-relief -q -alpha phase_geo.tif ramp.txt phase_rgb.tif
gdal_rasterize -q -b 1 -b 2 -b 3 -burn 0 -burn 0 -burn 0 -at -l seams seams.gpkg phase_rgb.tif
gdal_translate -q -of PNG -outsize 200% 200% -r nearest phase_rgb.tif "$png"
