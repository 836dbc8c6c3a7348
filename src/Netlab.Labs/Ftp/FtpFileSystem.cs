using System.Globalization;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>
/// The server's view of its root folder. Clients see virtual paths ("/pub/a.txt") that start
/// at the root: ".." stops at "/" as in a chroot, so "/../x" is "/x", and every path then goes
/// through <see cref="ContentRoot"/>, which refuses symbolic links out of the root, backslashes
/// and control characters. Writes are allowed only inside the upload folder (unless the server
/// is not read-only), checked on the real path so a link cannot lead a write out of it.
/// </summary>
public sealed class FtpFileSystem
{
    private readonly string? uploadReal;
    private readonly bool readOnly;

    public FtpFileSystem(ContentRoot root, string uploadFolder, bool readOnly)
    {
        Root = root;
        this.readOnly = readOnly;
        UploadPath = uploadFolder.Length == 0 ? null : "/" + uploadFolder;
        if (UploadPath is not null && root.TryResolve(UploadPath, out var real) == ContentRoot.Outcome.Found && Directory.Exists(real))
            uploadReal = real;
    }

    public ContentRoot Root { get; }

    /// <summary>The virtual path of the writable folder, e.g. "/upload"; null when there is none.</summary>
    public string? UploadPath { get; }

    /// <summary>
    /// The virtual absolute path an argument names, seen from the current directory:
    /// "." and empty segments dropped, ".." going up but never above "/".
    /// </summary>
    public static string Combine(string cwd, string argument)
    {
        var segments = new List<string>();
        var start = argument.StartsWith('/') ? "" : cwd;
        foreach (var segment in (start + "/" + argument).Split('/'))
        {
            if (segment is "" or ".")
                continue;
            if (segment == "..")
            {
                if (segments.Count > 0)
                    segments.RemoveAt(segments.Count - 1);
                continue;
            }
            segments.Add(segment);
        }
        return "/" + string.Join('/', segments);
    }

    /// <summary>The parent of a virtual path ("/" for "/" itself).</summary>
    public static string Parent(string path) => path.LastIndexOf('/') is var slash and > 0 ? path[..slash] : "/";

    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public ContentRoot.Outcome Resolve(string virtualPath, out string fullPath) => Root.TryResolve(virtualPath, out fullPath);

    public enum WriteCheck { Allowed, Denied, BadName }

    /// <summary>
    /// Whether a client may create, replace or remove the entry at a virtual path; on Allowed,
    /// the real path it maps to (its parent folder exists and is resolved, the name is plain).
    /// </summary>
    public WriteCheck CheckWrite(string virtualPath, out string fullPath)
    {
        fullPath = "";
        var name = Name(virtualPath);
        if (virtualPath == "/" || name.Length == 0 || name.Length > 255 || name.Any(c => char.IsControl(c) || c is '\\' or ':'))
            return WriteCheck.BadName;
        if (readOnly && (UploadPath is null || !virtualPath.StartsWith(UploadPath + "/", StringComparison.Ordinal)))
            return WriteCheck.Denied;
        switch (Root.TryResolve(Parent(virtualPath), out var parent))
        {
            case ContentRoot.Outcome.Forbidden:
                return WriteCheck.Denied;
            case ContentRoot.Outcome.NotFound:
                return WriteCheck.BadName;
        }
        if (!Directory.Exists(parent))
            return WriteCheck.BadName;
        // The real parent must still be in the upload folder: a link inside it may point elsewhere in the root.
        if (readOnly && (uploadReal is null || !(parent == uploadReal || parent.StartsWith(uploadReal + Path.DirectorySeparatorChar, StringComparison.Ordinal))))
            return WriteCheck.Denied;
        fullPath = Path.Combine(parent, name);
        return WriteCheck.Allowed;
    }

    /// <summary>
    /// The entries of a folder that resolve inside the root (links out of it are left out), or
    /// the one file named, in the order "ls" shows them.
    /// </summary>
    public IReadOnlyList<(string Name, FileSystemInfo Info)> List(string virtualPath, string fullPath)
    {
        if (!Directory.Exists(fullPath))
            return [(Name(virtualPath), new FileInfo(fullPath))];
        var entries = new List<(string, FileSystemInfo)>();
        foreach (var entry in new DirectoryInfo(fullPath).EnumerateFileSystemInfos())
        {
            var child = Combine(virtualPath, entry.Name);
            if (Root.TryResolve(child, out var real) != ContentRoot.Outcome.Found)
                continue;
            entries.Add((entry.Name, Directory.Exists(real) ? new DirectoryInfo(real) : new FileInfo(real)));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return entries;
    }

    /// <summary>
    /// One line of "ls -l": RFC 959 fixes no LIST format, and this is the one clients parse
    /// (curl, lftp, ftplib, FileZilla): mode, links, owner, group, size, date, name. The date is
    /// "Mon dd HH:mm" within six months, else "Mon dd  yyyy", in UTC as vsftpd does.
    /// </summary>
    public static string ListLine(string name, FileSystemInfo info, DateTime nowUtc)
    {
        var directory = info is DirectoryInfo;
        var mode = new StringBuilder(10);
        mode.Append(directory ? 'd' : '-');
        var bits = OperatingSystem.IsWindows() ? (UnixFileMode)(directory ? 0b111_101_101 : 0b110_100_100) : info.UnixFileMode;
        ReadOnlySpan<char> letters = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
            mode.Append(((int)bits & (1 << (8 - i))) != 0 ? letters[i] : '-');
        var size = directory ? 4096 : ((FileInfo)info).Length;
        var modified = info.LastWriteTimeUtc;
        var date = modified > nowUtc.AddDays(-182) && modified <= nowUtc.AddDays(1)
            ? modified.ToString("MMM dd HH:mm", CultureInfo.InvariantCulture)
            : modified.ToString("MMM dd  yyyy", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{mode} {(directory ? 2 : 1),4} {"ftp",-8} {"ftp",-8} {size,12} {date} {name}");
    }
}
