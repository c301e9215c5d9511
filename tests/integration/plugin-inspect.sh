#!/usr/bin/env bash
# plugin-inspect.sh — gst-inspect-1.0 finds the uninstalled plugin "fvc" with every element, each
# element documents its properties with ranges and defaults, and the driver lists its commands.
source "$(dirname "$0")/lib.sh"

out=$(gst-inspect-1.0 fvc)
for e in fvcaugment fvcclip fvcclipsink fvcclipsrc fvcdecodegate fvcevalsink fvcsample fvctrainsink; do
  case $out in *"$e:"*) ;; *) die "gst-inspect-1.0 fvc does not list $e" ;; esac
done
for e in $(printf '%s\n' "$out" | sed -n 's/^  \(fvc[a-z]*\): .*/\1/p'); do
  details=$(gst-inspect-1.0 "$e")
  case $details in *"Element Properties:"*) ;; *) die "$e: no properties section" ;; esac
  case $details in *"Default:"*) ;; *) die "$e: no defaults shown" ;; esac
done
sample=$(gst-inspect-1.0 fvcsample)
case $sample in *"num-frames"*"Range: 1 - 4096 Default: 6"*) ;; *) die "fvcsample num-frames range/default missing" ;; esac
help=$(fvc --help)
for c in synth probe augment run train eval clean; do
  case $help in *"  $c "*) ;; *) die "fvc-stream --help does not list $c" ;; esac
done
version=$(fvc --version)
case $version in "fvc-stream "*) ;; *) die "--version: $version" ;; esac
rc=0; fvc no-such-command 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || die "unknown command exit code $rc, expected 2"
rc=0; err=$(fvc augment --bogus 2>&1) || rc=$?
[ "$rc" -eq 2 ] || die "unknown option exit code $rc, expected 2"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || die "usage error is not one line: $err"
note "ok"
