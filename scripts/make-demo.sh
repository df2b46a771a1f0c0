#!/usr/bin/env bash
# Makes the built-in demo library that `shoal serve` seeds when no --library is given: short,
# small clips with a visible running clock, made with Debian's ffmpeg (scripts/setup.sh installs
# it). Files already present are kept. Usage: scripts/make-demo.sh [DIR] (default .demo).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-.demo}"
mkdir -p "$dir"

if ! command -v ffmpeg >/dev/null; then
  echo "make-demo: ffmpeg is missing (scripts/setup.sh installs it)" >&2
  exit 1
fi

font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
# The clock: elapsed time to the hundredth of a second, big and centred, so a seek or a stall
# is visible at a glance. Without the font, ffmpeg's own frame counter pattern is enough.
clock() {
  local title="$1"
  if [ -f "$font" ]; then
    printf "drawtext=fontfile=%s:text='%s':fontsize=28:fontcolor=white:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=24," "$font" "$title"
    printf "drawtext=fontfile=%s:text='%%{pts\\\\:hms}':fontsize=64:fontcolor=white:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=(h-th)/2" "$font"
  else
    printf 'null'
  fi
}

make() {
  local out="$1"; shift
  if [ -s "$dir/$out" ]; then
    echo "make-demo: $dir/$out is present"
    return
  fi
  echo "make-demo: making $dir/$out"
  # Write to a temporary name first: an interrupted run must not leave a truncated clip that
  # later runs would take as present.
  ffmpeg -hide_banner -loglevel error -y "$@" "$dir/.partial-$out"
  mv "$dir/.partial-$out" "$dir/$out"
}

make "shoal-clock-20s.mp4" \
  -f lavfi -i "testsrc2=size=640x360:rate=25:duration=20" \
  -f lavfi -i "sine=frequency=440:beep_factor=4:duration=20" \
  -vf "$(clock 'Shoal demo - 20 s')" \
  -c:v libx264 -preset veryfast -profile:v main -pix_fmt yuv420p -b:v 600k -g 50 \
  -c:a aac -b:a 64k -movflags +faststart -shortest

make "shoal-clock-60s.mp4" \
  -f lavfi -i "testsrc2=size=640x360:rate=25:duration=60" \
  -f lavfi -i "sine=frequency=330:beep_factor=2:duration=60" \
  -vf "$(clock 'Shoal demo - 60 s')" \
  -c:v libx264 -preset veryfast -profile:v main -pix_fmt yuv420p -b:v 400k -g 50 \
  -c:a aac -b:a 64k -movflags +faststart -shortest

make "shoal-clock-20s.webm" \
  -f lavfi -i "testsrc=size=640x360:rate=25:duration=20" \
  -f lavfi -i "sine=frequency=550:beep_factor=4:duration=20" \
  -vf "$(clock 'Shoal demo - WebM')" \
  -c:v libvpx-vp9 -b:v 500k -deadline realtime -cpu-used 8 -row-mt 1 \
  -c:a libopus -b:a 64k -shortest

ls -l "$dir"
