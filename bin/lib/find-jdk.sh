# shellcheck shell=bash
# Finds a JDK (not a JRE) of version >= HEED_MIN_JAVA (21) for heed's scripts.
# Source it, then call heed_find_jdk: on success it sets HEED_JDK to the JDK's home and
# returns 0; otherwise it prints what it found, what is needed and how to get it, and
# returns 1. Looks at $JAVA_HOME first, then the newest JDK in the usual install folders,
# then the javac on PATH.

HEED_MIN_JAVA=${HEED_MIN_JAVA:-21}

# The major version of the Java in folder $1 ("17", "21", "25"), or nothing.
heed_java_major() {
  local home=$1 version=
  if [[ -r $home/release ]]; then
    version=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release" 2>/dev/null)
  fi
  if [[ -z $version && -x $home/bin/java ]]; then
    # openjdk version "21.0.2" 2024-01-16 / java version "1.8.0_392"
    version=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  [[ -n $version ]] || return 1
  if [[ $version == 1.* ]]; then version=${version#1.}; fi
  version=${version%%[!0-9]*}
  [[ -n $version ]] && printf '%s\n' "$version"
}

# Notes folder $1 in HEED_JDK_SEEN and sets _heed_major to its version; succeeds if it is a
# JDK (has javac) of version >= HEED_MIN_JAVA.
_heed_check_jdk() {
  local home=${1%/} kind
  _heed_major=
  [[ -d $home ]] || return 1
  home=$(cd "$home" && pwd -P)
  local seen
  for seen in "${HEED_JDK_SEEN[@]}"; do
    [[ $seen == "  $home: "* ]] && return 1
  done
  _heed_major=$(heed_java_major "$home") || _heed_major=
  if [[ -x $home/bin/javac ]]; then kind=JDK; elif [[ -x $home/bin/java ]]; then kind=JRE; else return 1; fi
  HEED_JDK_SEEN+=("  $home: ${kind} ${_heed_major:-(unknown version)}")
  [[ $kind == JDK && -n $_heed_major && $_heed_major -ge $HEED_MIN_JAVA ]]
}

heed_find_jdk() {
  HEED_JDK=
  HEED_JDK_SEEN=()
  local best= best_major=0 dir javac_path

  if [[ -n ${JAVA_HOME:-} ]]; then
    if _heed_check_jdk "$JAVA_HOME"; then
      HEED_JDK=${JAVA_HOME%/}
      return 0
    fi
  fi
  local candidates=(/usr/lib/jvm/*/ /usr/java/*/ /opt/java/*/ /opt/jdk*/ "$HOME"/.sdkman/candidates/java/*/
                    /Library/Java/JavaVirtualMachines/*/Contents/Home/)
  for dir in "${candidates[@]}"; do
    [[ -d $dir && ! -L ${dir%/} ]] || continue
    if _heed_check_jdk "$dir" && (( _heed_major > best_major )); then
      best=${dir%/}
      best_major=$_heed_major
    fi
  done
  if [[ -z $best ]] && javac_path=$(command -v javac 2>/dev/null); then
    dir=$(dirname "$(dirname "$(readlink -f "$javac_path" 2>/dev/null || printf '%s' "$javac_path")")")
    if _heed_check_jdk "$dir"; then best=$dir; fi
  fi
  if [[ -n $best ]]; then
    HEED_JDK=$best
    if [[ -n ${JAVA_HOME:-} ]]; then
      echo "heed: note: JAVA_HOME ($JAVA_HOME) is not a JDK ${HEED_MIN_JAVA}+; using $HEED_JDK" >&2
    fi
    return 0
  fi

  {
    echo "heed: error: no JDK ${HEED_MIN_JAVA} or newer found (heed needs a full JDK with javac, version >= ${HEED_MIN_JAVA})."
    if (( ${#HEED_JDK_SEEN[@]} )); then
      echo "Found:"
      printf '%s\n' "${HEED_JDK_SEEN[@]}"
    else
      echo "Found no Java installation (looked at \$JAVA_HOME, /usr/lib/jvm and the javac on PATH)."
    fi
    echo "To fix: install one, e.g. 'sudo apt-get install openjdk-21-jdk' (Debian/Ubuntu),"
    echo "'sudo dnf install java-21-openjdk-devel' (Fedora) or 'brew install openjdk@21' (macOS),"
    echo "or point JAVA_HOME at a JDK ${HEED_MIN_JAVA}+: export JAVA_HOME=/path/to/jdk"
  } >&2
  return 1
}
