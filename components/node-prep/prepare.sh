# --- Body (static). The settings above are its only inputs; components/node-prep/script.ts writes them. ---

readonly CNI_PLUGINS=(bridge host-local portmap loopback)
# kube-proxy's ipvs mode: the IPVS core, the schedulers it uses, and conntrack.
readonly IPVS_MODULES=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_conntrack)
NODE=""
readonly PROC_SYS=/proc/sys
changes=0
written=0
install_attempt=""

log() { printf 'clusternet node-prep: %s\n' "$*"; }
fail() {
    printf 'clusternet node-prep: ERROR: %s\n' "$*" >&2
    exit 1
}
changed() { changes=$((changes + 1)); }

# Writes CONTENT to PATH atomically, only when it differs: a second run leaves the file (and its mtime) alone.
write_file() {
    local path=$1 content=$2 current tmp
    written=0
    if [[ -f $path ]]; then
        current=$(
            cat -- "$path"
            printf x
        )
        if [[ ${current%x} == "$content" ]]; then
            log "unchanged: $path"
            return 0
        fi
    fi
    mkdir -p -- "$(dirname -- "$path")"
    tmp=$(mktemp "$path.XXXXXX")
    printf '%s' "$content" >"$tmp"
    chmod 0644 "$tmp"
    mv -f -- "$tmp" "$path"
    written=1
    changed
    log "wrote: $path"
}

remove_file() {
    written=0
    if [[ -e $1 || -L $1 ]]; then
        rm -f -- "$1"
        written=1
        changed
        log "removed: $1"
    fi
}

# Kernel modules: br_netfilter makes bridged pod traffic visible to iptables (flanneld exits without it),
# overlay backs the container runtime's overlayfs. Persisted in modules-load.d for the next boot.
module_active() {
    case $1 in
        br_netfilter) [[ -e $PROC_SYS/net/bridge/bridge-nf-call-iptables ]] ;;
        overlay) grep -qw overlay /proc/filesystems ;;
        *) [[ -d $SYS_MODULE_DIR/$1 ]] ;;
    esac
}

ensure_modules() {
    local modules=(br_netfilter overlay) content
    if [[ $PROXY_MODE == ipvs ]]; then
        modules+=("${IPVS_MODULES[@]}")
    fi
    content="# Kernel modules for Kubernetes pod networking, loaded at boot (written by clusternet).
"
    content+=$(printf '%s\n' "${modules[@]}")
    write_file "$MODULES_LOAD_FILE" "$content
"
    local module
    for module in "${modules[@]}"; do
        if module_active "$module"; then
            log "module $module: active"
        elif ((LOAD_MODULES)); then
            command -v modprobe >/dev/null 2>&1 ||
                fail "kernel module $module is not loaded and modprobe is missing; install kmod (or load $module yourself), then run pulumi up again"
            modprobe "$module" </dev/null ||
                fail "cannot load kernel module $module; install the kernel's extra modules (e.g. linux-modules-extra-$(uname -r) on Ubuntu), then run pulumi up again"
            module_active "$module" || fail "modprobe $module succeeded, but $module is still not active"
            changed
            log "module $module: loaded"
        elif [[ $module == br_netfilter ]]; then
            fail "kernel module br_netfilter is not loaded ($PROC_SYS/net/bridge is missing) and loading modules is turned off; run modprobe br_netfilter first"
        elif [[ $module != overlay ]]; then
            fail "node $NODE: kernel module $module is not loaded and loading modules is turned off; kube-proxy's ipvs mode needs it: run modprobe $module first, or use kubeProxy.mode: nftables"
        else
            log "warning: kernel module overlay is not loaded and loading modules is turned off; the container runtime needs it for overlayfs"
        fi
    done
}

# Sysctls: written to a sysctl.d file (applied at every boot, after modules-load.d), then applied from that very
# file key by key and read back. Only what is not yet set is written.
ensure_sysctls() {
    local content="# Kubernetes pod networking (written by clusternet): bridged pod traffic passes iptables, and the node forwards.
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
"
    if ((IPV6_FORWARDING)); then
        content+="net.ipv6.conf.all.forwarding = 1
"
    fi
    write_file "$SYSCTL_FILE" "$content"
    local key value path
    while IFS='=' read -r key value; do
        key=${key//[[:space:]]/}
        value=${value//[[:space:]]/}
        [[ -z $key || $key == \#* ]] && continue
        path=$PROC_SYS/${key//.//}
        [[ -e $path ]] || fail "sysctl $key does not exist on this node ($path is missing; is IPv6 or br_netfilter turned off?)"
        if [[ $(<"$path") == "$value" ]]; then
            log "unchanged: $key = $value"
            continue
        fi
        printf '%s\n' "$value" >"$path" || fail "cannot set sysctl $key = $value"
        [[ $(<"$path") == "$value" ]] || fail "sysctl $key reads $(<"$path") after setting it to $value"
        changed
        log "set: $key = $value"
    done <"$SYSCTL_FILE"
}

# Packages: the first package manager found installs the distribution's package for KIND (cni or ethtool).
package_manager() {
    local manager
    for manager in apt-get dnf yum zypper apk pacman; do
        if command -v "$manager" >/dev/null 2>&1; then
            printf '%s' "$manager"
            return 0
        fi
    done
    return 1
}

package_for() {
    case $1:$2 in
        apt-get:cni | dnf:cni | yum:cni) printf 'containernetworking-plugins' ;;
        zypper:cni | apk:cni | pacman:cni) printf 'cni-plugins' ;;
        *:ethtool) printf 'ethtool' ;;
        *:nft) printf 'nftables' ;;
        *:ipset) printf 'ipset' ;;
    esac
}

install_package() {
    local kind=$1 manager package status=0
    if ! manager=$(package_manager); then
        install_attempt="no supported package manager (apt-get, dnf, yum, zypper, apk, pacman) was found"
        return 1
    fi
    package=$(package_for "$manager" "$kind")
    log "installing $package with $manager"
    case $manager in
        apt-get)
            { DEBIAN_FRONTEND=noninteractive apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "$package"; } </dev/null || status=$?
            ;;
        dnf | yum) "$manager" -q install -y "$package" </dev/null || status=$? ;;
        zypper) zypper --non-interactive install "$package" </dev/null || status=$? ;;
        apk) apk add "$package" </dev/null || status=$? ;;
        pacman) pacman -S --noconfirm --needed "$package" </dev/null || status=$? ;;
    esac
    if ((status != 0)); then
        install_attempt="$manager could not install $package (exit status $status)"
        return 1
    fi
    install_attempt="$manager installed $package"
    changed
}

# CNI plugins: the flannel image ships only the flannel plugin; the bridge, host-local, portmap and loopback
# plugins come from the distribution. Debian and Ubuntu put them in /usr/lib/cni, Fedora and RHEL in
# /usr/libexec/cni, so they are linked into the kubelet's CNI_BIN_DIR.
missing_plugins() {
    local plugin
    for plugin in "${CNI_PLUGINS[@]}"; do
        [[ -f $CNI_BIN_DIR/$plugin && -x $CNI_BIN_DIR/$plugin ]] || printf '%s ' "$plugin"
    done
}

link_plugins() {
    local plugin dir
    for plugin in $(missing_plugins); do
        for dir in "${CNI_SEARCH_DIRS[@]}"; do
            if [[ -f $dir/$plugin && -x $dir/$plugin ]]; then
                ln -sfn -- "$dir/$plugin" "$CNI_BIN_DIR/$plugin"
                changed
                log "linked: $CNI_BIN_DIR/$plugin -> $dir/$plugin"
                break
            fi
        done
    done
}

cni_arch() {
    case $(uname -m) in
        x86_64) printf 'amd64' ;;
        aarch64 | arm64) printf 'arm64' ;;
        armv7* | armv6*) printf 'arm' ;;
        *) uname -m ;;
    esac
}

ensure_cni_plugins() {
    mkdir -p -- "$CNI_BIN_DIR"
    if [[ -n $(missing_plugins) ]]; then
        link_plugins
    fi
    if [[ -n $(missing_plugins) ]] && install_package cni; then
        link_plugins
    fi
    local missing
    missing=$(missing_plugins)
    if [[ -n $missing ]]; then
        if [[ $install_attempt == *installed* ]]; then
            install_attempt="$install_attempt, but it put none of them in ${CNI_SEARCH_DIRS[*]}"
        fi
        fail "the CNI plugins ${missing% } are missing from $CNI_BIN_DIR and not in ${CNI_SEARCH_DIRS[*]}; installing them: $install_attempt. Install them yourself: download cni-plugins-linux-$(cni_arch)-<version>.tgz from https://github.com/containernetworking/plugins/releases and unpack it into $CNI_BIN_DIR, then run pulumi up again"
    fi
    log "CNI plugins: ${CNI_PLUGINS[*]} present in $CNI_BIN_DIR"
}

reload_udev() {
    if ((written)) && command -v udevadm >/dev/null 2>&1; then
        udevadm control --reload-rules </dev/null || log "warning: udevadm could not reload its rules; they apply after the next reboot"
    fi
}

# VXLAN checksum offload: some kernels and NICs corrupt the checksums of VXLAN packets flanneld's device sends,
# so Service traffic between nodes stalls. flanneld re-creates its devices on every restart, so a udev rule turns
# offload off whenever one appears; devices that exist already are fixed now.
ensure_checksum_offload() {
    if ((${#OFFLOAD_DEVICES[@]} == 0)); then
        remove_file "$UDEV_RULE_FILE"
        reload_udev
        return 0
    fi
    local ethtool device rules
    if ! ethtool=$(command -v ethtool); then
        install_package ethtool ||
            fail "ethtool is needed to turn off checksum offload on ${OFFLOAD_DEVICES[*]}, and installing it: $install_attempt. Install ethtool, then run pulumi up again"
        ethtool=$(command -v ethtool) || fail "ethtool is still missing after $install_attempt"
    fi
    rules="# Turn off tx checksum offload on flannel's VXLAN devices whenever they appear (written by clusternet).
"
    for device in "${OFFLOAD_DEVICES[@]}"; do
        rules+="ACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"$device\", RUN+=\"$ethtool -K $device tx-checksum-ip-generic off\"
"
    done
    write_file "$UDEV_RULE_FILE" "$rules"
    reload_udev
    for device in "${OFFLOAD_DEVICES[@]}"; do
        if [[ ! -e /sys/class/net/$device ]]; then
            log "checksum offload: $device does not exist yet; the udev rule turns offload off when flanneld creates it"
        elif grep -q '^tx-checksum-ip-generic: off' <<<"$("$ethtool" -k "$device")"; then
            log "unchanged: checksum offload off on $device"
        else
            "$ethtool" -K "$device" tx-checksum-ip-generic off || fail "ethtool -K $device tx-checksum-ip-generic off failed"
            changed
            log "checksum offload off: $device"
        fi
    done
}

# True when dotted version $1 is at least $2 (5.15.0 >= 5.13, 1.0.6 >= 1.0.1).
version_at_least() {
    local -a have want
    local i x y
    IFS=. read -r -a have <<<"$1"
    IFS=. read -r -a want <<<"$2"
    for ((i = 0; i < ${#want[@]}; i++)); do
        x=${have[i]:-0}
        y=${want[i]:-0}
        ((10#$x > 10#$y)) && return 0
        ((10#$x < 10#$y)) && return 1
    done
    return 0
}

# kube-proxy's nftables mode needs kernel >= 5.13 and nft >= 1.0.1 on every node, and refuses to start without
# them: refuse here first, naming the node, before kube-proxy is switched over.
ensure_nftables() {
    local release kernel nft output version
    release=$(uname -r)
    kernel=${release%%[!0-9.]*}
    version_at_least "$kernel" "$NFTABLES_MIN_KERNEL" ||
        fail "node $NODE: kernel $release is older than $NFTABLES_MIN_KERNEL, which kube-proxy's nftables mode needs; upgrade the kernel, or keep kubeProxy.mode: iptables"
    if ! nft=$(command -v nft); then
        install_package nft ||
            fail "node $NODE: nft is missing (kube-proxy's nftables mode needs nft >= $NFTABLES_MIN_NFT), and installing it: $install_attempt. Install nftables, or keep kubeProxy.mode: iptables"
        nft=$(command -v nft) || fail "node $NODE: nft is still missing after $install_attempt"
    fi
    output=$("$nft" --version 2>&1 || true)
    [[ $output =~ v([0-9]+(\.[0-9]+)*) ]] || fail "node $NODE: cannot read nft's version from: $output"
    version=${BASH_REMATCH[1]}
    version_at_least "$version" "$NFTABLES_MIN_NFT" ||
        fail "node $NODE: nft $version is older than $NFTABLES_MIN_NFT, which kube-proxy's nftables mode needs; upgrade nftables, or keep kubeProxy.mode: iptables"
    log "kube-proxy nftables mode: kernel $release, nft $version"
}

# kube-proxy's ipvs mode: the modules (ensure_modules) and ipset.
ensure_ipset() {
    if ! command -v ipset >/dev/null 2>&1; then
        install_package ipset ||
            fail "node $NODE: ipset is missing (kube-proxy's ipvs mode needs it), and installing it: $install_attempt. Install ipset, or use kubeProxy.mode: nftables"
    fi
    log "kube-proxy ipvs mode: ip_vs modules and ipset present"
}

prepare() {
    ensure_modules
    ensure_sysctls
    ensure_cni_plugins
    ensure_checksum_offload
    case $PROXY_MODE in
        nftables) ensure_nftables ;;
        ipvs) ensure_ipset ;;
    esac
}

# Undo removes only what is clusternet's and safe to remove: its own files, so the next boot no longer applies
# them. Live sysctls and modules stay (turning them off would cut running pods off the network), and so do the
# CNI plugins (the kubelet needs them for every pod it starts).
undo() {
    remove_file "$MODULES_LOAD_FILE"
    remove_file "$SYSCTL_FILE"
    remove_file "$UDEV_RULE_FILE"
    reload_udev
    log "left in place: live sysctls and loaded modules, and the CNI plugins in $CNI_BIN_DIR"
}

main() {
    NODE=${2:-$(uname -n)}
    [[ $(id -u) -eq 0 ]] || fail "must run as root: connect as root, or as a user with passwordless sudo"
    case ${1:-} in
        prepare) prepare ;;
        undo) undo ;;
        *) fail "usage: bash -s -- prepare|undo" ;;
    esac
    log "done: $changes change(s)"
}

# Last line: bash has read the whole script from stdin before anything runs.
main "$@"
