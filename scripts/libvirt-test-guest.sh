#!/usr/bin/env bash
# Builds the tiny guest the libvirt contract suite launches: a bootable qcow2 disk made only from Debian
# packages (a Debian kernel, busybox-static, syslinux), that boots in seconds under TCG emulation.
#
#   scripts/libvirt-test-guest.sh OUT_DIR      writes OUT_DIR/test-guest.qcow2 (once; kept if it is there)
#
# The disk is a FAT filesystem holding syslinux, the kernel and an initramfs. Its /init mounts the NoCloud
# seed (a vfat volume labelled CIDATA), reads instance-id and local-hostname from its meta-data, writes a
# line to its own root disk (so a captured image carries what the server wrote), and prints cloud-init's
# own lines to the serial console, the completion line last; strata reads that line as "ready". Comments
# in the user data can give it an address with two listeners, or ports of another guest to try (firewalls).
# Needs: apt-get (download only), dpkg-deb, cpio, gzip, xz, mkfs.vfat, mtools, syslinux, qemu-img.
set -euo pipefail

out=${1:?usage: libvirt-test-guest.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
target="$out/test-guest.qcow2"
if [[ -s $target ]]; then
  echo "test guest: $target is there"
  exit 0
fi

for tool in dpkg-deb cpio gzip xz mkfs.vfat mcopy syslinux qemu-img; do
  command -v "$tool" >/dev/null || { echo "test guest: $tool is missing (see .ci/run for the packages)" >&2; exit 1; }
done
# busybox-static's /bin/busybox (the guest has no libc of its own).
busybox=/bin/busybox
if [[ ! -x $busybox ]] || ldd "$busybox" >/dev/null 2>&1; then
  echo "test guest: a static /bin/busybox is missing (package busybox-static)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The kernel package the linux-image-amd64 metapackage depends on, downloaded (not installed).
kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[[ -n $kpkg ]] || { echo "test guest: no kernel package found behind linux-image-amd64 (apt-get update?)" >&2; exit 1; }
(cd "$work" && apt-get download "$kpkg" >/dev/null 2>&1) || { echo "test guest: apt-get download $kpkg failed" >&2; exit 1; }
dpkg-deb -x "$work"/linux-image-*.deb "$work/k"
kernel=$(ls "$work"/k/boot/vmlinuz-* | head -1)
moddir=$(ls -d "$work"/k/lib/modules/* | head -1)

# The initramfs: busybox, the modules for virtio disks and a vfat seed, and /init.
root="$work/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,mnt/seed,mnt/root,lib/modules}
cp "$busybox" "$root/bin/busybox"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk fat vfat nls_cp437 nls_ascii nls_utf8 failover net_failover virtio_net; do
  f=$(find "$moddir" -name "$m.ko*" | head -1)
  [[ -n $f ]] || continue
  case $f in
    *.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *.zst) zstd -dcq "$f" >"$root/lib/modules/$m.ko" ;;
    *) cp "$f" "$root/lib/modules/$m.ko" ;;
  esac
done
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk fat vfat nls_cp437 nls_ascii nls_utf8 failover net_failover virtio_net; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
done
log() { echo "$*" >/dev/ttyS0; }
up() { cut -d' ' -f1 /proc/uptime; }
sleep 1
log "Cloud-init v. 0-strata-test-guest running 'init-local' at $(date -u '+%a, %d %b %Y %H:%M:%S +0000'). Up $(up) seconds."
seed=''
for dev in /dev/vd?; do
  [ "$dev" = /dev/vda ] && continue
  if mount -t vfat -o ro "$dev" /mnt/seed 2>/dev/null; then
    if [ -f /mnt/seed/meta-data ]; then seed=$dev; break; fi
    umount /mnt/seed
  fi
done
if [ -n "$seed" ]; then
  id=$(sed -n 's/^instance-id: *//p' /mnt/seed/meta-data | tr -d '"')
  host=$(sed -n 's/^local-hostname: *//p' /mnt/seed/meta-data | tr -d '"')
  [ -n "$host" ] && hostname "$host"
  log "ci-info: instance-id $id, local-hostname $host, user-data $(wc -c </mnt/seed/user-data) bytes"
  # What the server did, on its own root disk: a captured image carries it.
  if out=$(mount -t vfat /dev/vda /mnt/root 2>&1); then
    echo "$id $host" >>/mnt/root/BOOTS.TXT && sync && umount /mnt/root && log "ci-info: wrote BOOTS.TXT on /dev/vda"
  else
    log "ci-info: /dev/vda cannot be mounted: $out"
  fi
  # A test may ask for an address (a comment in its cloud-config): two TCP listeners answer there, on
  # ports 22 and 23, so a firewall that lets one through and not the other can be seen from the host.
  addr=$(sed -n 's/^# strata-test-ip: *//p' /mnt/seed/user-data)
  if [ -n "$addr" ] && ip link set eth0 up 2>/dev/null && ip addr add "$addr" dev eth0; then
    mkdir -p /www && echo ok >/www/index.html
    httpd -p 22 -h /www && httpd -p 23 -h /www && log "ci-info: eth0 $addr, listening on 22 and 23"
  fi
  # And it may ask this guest to try ports of another (bridged traffic passes the other's firewall; the
  # host's own does not): "# strata-test-probe: ADDRESS PORT…" logs each port as open or closed.
  probe=$(sed -n 's/^# strata-test-probe: *//p' /mnt/seed/user-data)
  if [ -n "$probe" ]; then
    set -- $probe
    target=$1
    shift
    for port in "$@"; do
      # (busybox-static's wget crashes resolving; nc's status says nothing of a dropped connection.)
      if printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 "$target" "$port" 2>/dev/null | grep -q '^HTTP/'; then state=open; else state=closed; fi
      log "ci-info: probe $target:$port $state"
    done
  fi
  log "Cloud-init v. 0-strata-test-guest running 'modules:final' at $(date -u '+%a, %d %b %Y %H:%M:%S +0000'). Up $(up) seconds."
  log "Cloud-init v. 0-strata-test-guest finished at $(date -u '+%a, %d %b %Y %H:%M:%S +0000'). Datasource DataSourceNoCloud [seed=$seed][dsmode=net].  Up $(up) seconds"
else
  log "Cloud-init v. 0-strata-test-guest: no NoCloud seed found; not finishing."
fi
# Power off when asked (ACPI is not handled here): stay up until destroyed.
while :; do sleep 3600; done
INIT
chmod 755 "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$work/initrd.gz"

# The disk: a FAT filesystem on the whole disk, made bootable by syslinux (SeaBIOS boots its boot sector).
raw="$work/disk.raw"
truncate -s 64M "$raw"
mkfs.vfat -n STRATAROOT "$raw" >/dev/null
cat >"$work/syslinux.cfg" <<'CFG'
DEFAULT guest
TIMEOUT 0
PROMPT 0
LABEL guest
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND console=ttyS0 loglevel=3 panic=5
CFG
mcopy -i "$raw" "$kernel" ::vmlinuz
mcopy -i "$raw" "$work/initrd.gz" ::initrd.gz
mcopy -i "$raw" "$work/syslinux.cfg" ::syslinux.cfg
syslinux --install "$raw"
qemu-img convert -q -f raw -O qcow2 "$raw" "$target.partial"
mv "$target.partial" "$target"
echo "test guest: wrote $target ($(du -h "$target" | cut -f1))"
