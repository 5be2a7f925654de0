import Engine
import HostPool

/// -M: which ports build with their work directory in a host's memory file
/// system (a tmpfs, which needs root to mount), and the commands that
/// mount and unmount it on that host.
public enum MemoryBuilds {
    /// A port goes to memory when its recorded size is known and, added to
    /// the recorded sizes of the host's jobs already in memory, stays
    /// within the threshold. A port never measured builds on disk.
    public static func fits(size: Int64?, inMemory running: [Int64], threshold: Int64) -> Bool {
        guard let size, threshold > 0 else { return false }
        return size + running.reduce(0, +) <= threshold
    }

    /// The tmpfs gets more room than the threshold: a port whose work
    /// directory grew since it was measured still fits (tmpfs takes only
    /// the memory actually written).
    public static func mountKilobytes(threshold: Int64) -> Int64 { threshold + threshold / 2 }

    /// The mount point of one run's hosts: per lock directory, so runs that
    /// do not share locks never share a mount, and one that crashed leaves
    /// it where the next run finds it.
    public static func mountPoint(root: String, lockdir: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in lockdir.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return root + "/" + String(h, radix: 16)
    }

    /// One task: unmount whatever a crashed run left there (several mounts
    /// may be stacked), then mount a fresh tmpfs. The paths are arguments,
    /// never part of the script, so no value reaches a shell unquoted.
    public static func mountCommand(at dir: String, kilobytes: Int64) -> [String] {
        let script = """
            d=$1
            while mountpoint -q -- "$d" 2>/dev/null; do
              echo "bulkbuild: unmounting a memory file system left at $d"
              umount -- "$d" || umount -l -- "$d" || exit 1
            done
            mkdir -p -- "$d" && mount -t tmpfs -o "size=$2k,mode=0755" bulkbuild "$d" && mountpoint -q -- "$d"
            """
        return ["/bin/sh", "-c", script, "sh", dir, String(kilobytes)]
    }

    /// One task: unmount (lazily when a process still holds it) and remove
    /// the mount point.
    public static func unmountCommand(at dir: String) -> [String] {
        let script = """
            d=$1
            mountpoint -q -- "$d" 2>/dev/null || exit 0
            umount -- "$d" || umount -l -- "$d" || exit 1
            rmdir -- "$d" 2>/dev/null; exit 0
            """
        return ["/bin/sh", "-c", script, "sh", dir]
    }
}
