using System.Runtime.InteropServices;
using System.Text;

namespace Netlab.Labs.Core;

/// <summary>
/// Maps a request path (as a URL or FTP path) to a file or folder inside a root folder, and
/// refuses anything that could leave it: ".." segments, percent-encoded dots and slashes,
/// backslashes, NUL and control bytes, absolute paths, and symbolic links whose target is outside
/// the root. Every lab server that serves files goes through here.
/// </summary>
public sealed class ContentRoot
{
    public ContentRoot(string path)
    {
        var full = Path.GetFullPath(path);
        // Compare against the real root, so a root that is itself reached through a link works.
        var info = new DirectoryInfo(full);
        RootPath = (info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName).TrimEnd(Path.DirectorySeparatorChar);
    }

    public string RootPath { get; }

    /// <summary>What the root's regular files take together, in bytes (links not followed): what a quota counts.</summary>
    public long BytesUsed() => BytesUnder(RootPath);

    /// <summary>What the regular files under a folder take together, in bytes (links not followed).</summary>
    public static long BytesUnder(string folder) => new DirectoryInfo(folder)
        .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
        .Sum(f => f.Length);

    public enum Outcome { Found, NotFound, Forbidden }

    /// <summary>
    /// Resolves a URL path (percent-encoded, without query) to a path under the root.
    /// Forbidden when the path tries to leave the root or is malformed; NotFound when it is fine
    /// but nothing is there. The returned path may be a file or a directory.
    /// </summary>
    public Outcome TryResolveUrlPath(string urlPath, out string fullPath)
    {
        fullPath = "";
        if (!TryDecode(urlPath, out var decoded))
            return Outcome.Forbidden;
        return TryResolve(decoded, out fullPath);
    }

    /// <summary>Resolves an already decoded, '/'-separated path relative to the root.</summary>
    public Outcome TryResolve(string relative, out string fullPath)
    {
        fullPath = "";
        if (relative.Contains('\\') || relative.Contains(':') || relative.Any(char.IsControl))
            return Outcome.Forbidden;
        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = RootPath;
        foreach (var segment in segments)
        {
            if (segment == ".")
                continue;
            if (segment == "..")
                return Outcome.Forbidden;
            current = Path.Combine(current, segment);
            // Follow links one component at a time: a link may point anywhere, so its final target
            // must still be under the root.
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                if (target is null || !IsUnderRoot(target.FullName))
                    return Outcome.Forbidden;
                current = target.FullName;
            }
            else if (!info.Exists)
            {
                return Outcome.NotFound;
            }
        }
        if (!IsUnderRoot(current))
            return Outcome.Forbidden;
        fullPath = current;
        return Outcome.Found;
    }

    /// <summary>
    /// True when the path (links followed) is a regular file: not a folder, FIFO, socket or
    /// device. Opening a FIFO blocks until a writer comes, so a server must never open one.
    /// </summary>
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
            return File.Exists(path); // no FIFOs in the Windows file system; elsewhere unchecked (see the README's security notes)
        var status = new byte[256]; // struct statx
        try
        {
            if (Native.Statx(AtFdCwd, path, 0, StatxType, status) == 0)
                return (BitConverter.ToUInt16(status, StatxModeOffset) & 0xF000) == 0x8000; // (stx_mode & S_IFMT) == S_IFREG
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return File.Exists(path);
        }
        // A kernel or sandbox without statx: fall back to what .NET can tell.
        return Marshal.GetLastPInvokeError() is 38 /* ENOSYS */ or 1 /* EPERM */ && File.Exists(path);
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28; // __u32 mask, blksize; __u64 attributes; __u32 nlink, uid, gid; __u16 mode

    private static class Native
    {
        // statx(2): its struct is the same on every Linux architecture, unlike stat's.
        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        public static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
    }

    private bool IsUnderRoot(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        return full == RootPath || full.StartsWith(RootPath + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>
    /// Percent-decodes a URL path as UTF-8 (RFC 3986 section 2.1). An encoded '/' or '\' is
    /// refused rather than decoded: it would make a segment boundary the parser did not see.
    /// </summary>
    public static bool TryDecode(string urlPath, out string decoded)
    {
        decoded = "";
        var bytes = new List<byte>(urlPath.Length);
        for (var i = 0; i < urlPath.Length; i++)
        {
            var c = urlPath[i];
            if (c == '%')
            {
                if (i + 2 >= urlPath.Length || !Uri.IsHexDigit(urlPath[i + 1]) || !Uri.IsHexDigit(urlPath[i + 2]))
                    return false;
                var b = (byte)Convert.ToInt32(urlPath.Substring(i + 1, 2), 16);
                if (b is (byte)'/' or (byte)'\\' or 0)
                    return false;
                bytes.Add(b);
                i += 2;
            }
            else if (c > 0x7e || c < 0x20)
            {
                return false;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
