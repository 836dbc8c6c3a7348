using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>
/// The lab's FTP server on plain sockets (RFC 959, with EPRT/EPSV of RFC 2428 and SIZE/MDTM of
/// RFC 3659): a control connection per client, each served concurrently by an
/// <see cref="FtpSession"/>, data connections in active and passive mode, files under a root
/// folder that only the upload folder may change. Bounded in sessions, line length and time.
/// </summary>
public sealed class FtpServer : TcpLabServer
{
    private readonly FtpSessionContext context;

    /// <param name="time">The clock of the sessions' timeouts; the system's unless a test drives a fake one.</param>
    public FtpServer(FtpServerOptions options, ServerContext server, TimeProvider? time = null) : base("ftp", server.EndPoint, server.Events, 512, time ?? server.Time)
    {
        var content = new ContentRoot(server.Environment.ContentRoot);
        if (content.TryResolve(options.Root, out var root) != ContentRoot.Outcome.Found || !Directory.Exists(root))
            throw new LabException($"The FTP root \"{options.Root}\" is not a folder in the content root {content.RootPath}.");
        if (!FtpAccounts.TryParse(options.Accounts, out var accounts, out var error))
            throw new LabException(error);
        // Served from the server's own copy when it has a storage folder (in the portal): uploads
        // land there, never in the shared content (the source tree), and count against its quota.
        if (server.StorageDirectory is { } storage)
            root = CopyRoot(root, Path.Combine(storage, "files"));
        Files = new FtpFileSystem(new ContentRoot(root), options.UploadFolder, options.ReadOnly);
        context = new FtpSessionContext(options, Files, accounts, server.Events, time ?? server.Time, server.Environment.IsOwnListener, server.Environment.Storage);
    }

    public FtpFileSystem Files { get; }

    /// <summary>The most the shared root may hold to be copied for a server (the lab's is a few KB).</summary>
    private const long MaxCopyBytes = 100L * 1024 * 1024;

    /// <summary>Copies the shared root's regular files and folders (never links, FIFOs or devices) into the server's folder.</summary>
    private static string CopyRoot(string from, string to)
    {
        Directory.CreateDirectory(to);
        long bytes = 0;
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, entry.FullName));
            if (entry is DirectoryInfo)
                Directory.CreateDirectory(target);
            else if (entry is FileInfo { LinkTarget: null } file && ContentRoot.IsRegularFile(file.FullName)) // a FIFO would block the copy
            {
                if ((bytes += file.Length) > MaxCopyBytes)
                    throw new LabException($"The FTP root \"{from}\" holds more than {MaxCopyBytes / 1024 / 1024} MB; choose a smaller root folder.");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                file.CopyTo(target, overwrite: true);
            }
        }
        return to;
    }

    protected override int MaxSessions => context.Options.MaxSessions;

    protected override string Listening(EndPoint local) => $"FTP server on ftp://{local}/ serving {Files.Root.RootPath}"
        + (Files.UploadPath is { } upload && context.Options.ReadOnly ? $", writable: {upload}" : context.Options.ReadOnly ? ", read-only" : ", all writable");

    protected override Task ServeSessionAsync(Socket client, string name, CancellationToken stopping) =>
        new FtpSession(client, name, context).RunAsync(stopping);

    // RFC 959 section 5.4: 421 is the reply to a connection the server cannot serve now.
    protected override async Task RefuseAsync(Socket client, string name, CancellationToken cancellationToken)
    {
        const string Reply = "421 Too many sessions; try again later.\r\n";
        Events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Control, Reply.TrimEnd(), name));
        await client.SendAsync(Encoding.ASCII.GetBytes(Reply), SocketFlags.None, cancellationToken);
    }
}
