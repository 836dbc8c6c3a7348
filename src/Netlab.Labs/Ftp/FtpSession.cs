using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>What every session of one server shares.</summary>
internal sealed class FtpSessionContext(FtpServerOptions options, FtpFileSystem files, IReadOnlyDictionary<string, string> accounts, IEventSink events, TimeProvider time,
    Func<IPEndPoint, bool>? isOwnListener = null, StorageBudget? storage = null)
{
    /// <summary>What all lab servers together may still keep on disk; null = only this server's quota.</summary>
    public StorageBudget? Storage => storage;

    /// <summary>The sessions' passive listeners now open: no session's PORT may aim at another's.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPEndPoint, byte> passive = new();

    public void AddPassive(IPEndPoint endPoint) => passive[endPoint] = 0;

    public void RemovePassive(IPEndPoint endPoint) => passive.TryRemove(endPoint, out _);

    /// <summary>True when a data target is one of this process's own listeners (the environment's hook) or a session's passive port.</summary>
    public bool IsOwnListener(IPEndPoint target) => passive.ContainsKey(target) || isOwnListener?.Invoke(target) == true;

    /// <summary>How long failed logins from an address count against it: a new connection does not start the delay again.</summary>
    public static readonly TimeSpan LoginFailureWindow = TimeSpan.FromMinutes(10);
    private const int MaxTrackedAddresses = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPAddress, (int Count, DateTimeOffset Last)> loginFailures = new();

    /// <summary>Records a failed login from an address; returns how many it has made within the window, this one included.</summary>
    public int LoginFailed(IPAddress address)
    {
        var now = Time.GetUtcNow();
        if (loginFailures.Count >= MaxTrackedAddresses)
            foreach (var stale in loginFailures.Where(f => now - f.Value.Last > LoginFailureWindow).Select(f => f.Key).ToList())
                loginFailures.TryRemove(stale, out _);
        return loginFailures.AddOrUpdate(address, (1, now), (_, old) => (now - old.Last > LoginFailureWindow ? 1 : old.Count + 1, now)).Count;
    }

    public void LoginSucceeded(IPAddress address) => loginFailures.TryRemove(address, out _);

    /// <summary>The clock of every timeout (idle, data, replies): the system's, or a fake one in tests.</summary>
    public TimeProvider Time { get; } = time;

    public FtpServerOptions Options { get; } = options;
    public FtpFileSystem Files { get; } = files;
    public IReadOnlyDictionary<string, string> Accounts { get; } = accounts;
    public IEventSink Events { get; } = events;
}

/// <summary>
/// One client of the FTP server: the control connection's state machine (RFC 959 section 5.4:
/// greeting, login, then commands, each answered by one reply) and its data connections. A
/// command error is a reply and the session goes on; a dead or idle control connection ends this
/// session only. Commands are served one at a time; while a transfer runs the control
/// connection is still read, so ABOR (RFC 959 section 4.1.3) can stop it.
/// </summary>
internal sealed class FtpSession(Socket control, string client, FtpSessionContext context)
{
    private readonly LineReader reader = new(new NetworkStream(control, ownsSocket: false));
    private readonly FtpTranscript transcript = new(context.Events, client);
    private readonly Queue<WireLine?> pending = new();
    private readonly IPEndPoint local = (IPEndPoint)control.LocalEndPoint!;
    private readonly IPAddress peer = FtpHostPort.Normalize(((IPEndPoint)control.RemoteEndPoint!).Address);
    private FtpServerOptions Options => context.Options;

    private string? pendingUser;
    private string? user;
    private string cwd = "/";
    private bool binary;
    private long restart;
    private IPEndPoint? activeTarget;
    private Socket? passiveListener;
    private int commands;
    private int transfers;
    private int loginFailures;
    private bool quit;

    // What the state table reads (FtpStateTable).
    // Handout 004's client never logs in: in that mode every session counts as anonymous.
    internal bool LoggedIn => user is not null || Options.Handout004Mode;
    internal bool UserGiven => pendingUser is not null;
    internal bool DataSetUp => activeTarget is not null || passiveListener is not null;

    public async Task RunAsync(CancellationToken stopping)
    {
        context.Events.Emit(new LogLine(LogSeverity.Info, $"session {client} opened"));
        try
        {
            // RFC 959 section 4.1.3: ABOR may come with the Telnet "Synch" as urgent data; keep it in line.
            control.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.OutOfBandInline, true);
            await ReplyAsync(220, "Netlab FTP server ready.", stopping);
            while (true)
            {
                var line = await NextLineAsync(stopping);
                if (line is null)
                    break;
                if (!await HandleLineAsync(line.Value, stopping))
                    break;
            }
        }
        catch (IdleException)
        {
            await TryReplyAsync(421, "Timeout: no command for too long; closing the control connection.");
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away, a write stalled, or the server is stopping: just let the session go.
        }
        finally
        {
            ClearDataSetup();
            control.CloseQuietly();
            context.Events.Emit(new LogLine(LogSeverity.Info,
                $"session {client} closed ({(user is null ? "not logged in" : $"user {user}")}, {commands} commands, {transfers} transfers)"));
        }
    }

    private sealed class IdleException : Exception;

    /// <summary>How long a handout-004 client may pause inside a command before what it sent counts as the whole command.</summary>
    private const int HandoutPauseMs = 300;

    /// <summary>The next command line: one read during a transfer, else from the socket within the idle timeout.</summary>
    private async Task<WireLine?> NextLineAsync(CancellationToken stopping)
    {
        if (pending.TryDequeue(out var queued))
            return queued;
        using var idle = Deadline.After(Options.IdleTimeoutMs, stopping, context.Time);
        try
        {
            if (!Options.Handout004Mode)
                return await reader.ReadLineAsync(FtpCommandParser.MaxLine, idle.Token);
            // Handout 004's client sends each command in one send() with no line end and waits
            // for the answer: bytes followed by a pause of HandoutPauseMs are a whole command.
            while (true)
            {
                using var pause = Deadline.After(HandoutPauseMs, idle.Token, context.Time);
                try
                {
                    return await reader.ReadLineAsync(FtpCommandParser.MaxLine, pause.Token);
                }
                catch (OperationCanceledException) when (pause.Expired && reader.TakeUnterminated(FtpCommandParser.MaxLine) is { } unterminated)
                {
                    return unterminated;
                }
                catch (OperationCanceledException) when (pause.Expired)
                {
                    // Nothing has arrived yet: keep waiting, within the idle timeout.
                }
            }
        }
        catch (OperationCanceledException) when (idle.Expired)
        {
            throw new IdleException();
        }
    }

    /// <summary>Answers one line; false when the session should end (QUIT).</summary>
    private async Task<bool> HandleLineAsync(WireLine line, CancellationToken stopping)
    {
        commands++;
        if (line.TooLong)
        {
            Transcript(TranscriptDirection.ClientToServer, $"({FtpCommandParser.MaxLine}+ bytes without a line end)");
            await ReplyAsync(500, "Command line too long.", stopping);
            return true;
        }
        var error = FtpCommandParser.Parse(line.Bytes, out var command);
        Transcript(TranscriptDirection.ClientToServer, error == FtpCommandError.None ? command.ForTranscript : Printable.Ascii(line.Bytes, 200));
        switch (error)
        {
            case FtpCommandError.Empty:
                await ReplyAsync(500, "Empty command.", stopping);
                return true;
            case FtpCommandError.BadVerb:
                await ReplyAsync(500, "Unknown command.", stopping);
                return true;
            case FtpCommandError.BadArgument:
                await ReplyAsync(501, "Invalid characters in the argument.", stopping);
                return true;
        }
        // The state table answers an unmet need (530, 503, 501) or runs the command's handler.
        if (FtpStateTable.NotImplemented.Contains(command.Verb))
            await ReplyAsync(502, "Command not implemented.", stopping);
        else if (FtpStateTable.Find(command.Verb) is not { } rule)
            await ReplyAsync(500, "Unknown command.", stopping);
        else if (rule.Refusal(this, command.Argument) is { } refusal)
            await ReplyAsync(refusal, stopping);
        else
            await rule.Handler(this, command.Argument, stopping);
        return !quit;
    }

    internal Task QuitAsync(CancellationToken stopping)
    {
        quit = true;
        return ReplyAsync(221, "Goodbye.", stopping);
    }

    internal static FtpReply Opts(string arg) =>
        arg.Equals("UTF8 ON", StringComparison.OrdinalIgnoreCase) || arg.Equals("UTF-8 ON", StringComparison.OrdinalIgnoreCase)
            ? new FtpReply(200, "Always in UTF8 mode.") : new FtpReply(501, "Option not understood.");

    internal FtpReply PrintDirectory() => new(257, $"{Quote(cwd)} is the current directory");

    /// <summary>A path in a 257 reply: quoted, with quotes inside doubled (RFC 959 appendix II).</summary>
    private static string Quote(string path) => "\"" + path.Replace("\"", "\"\"") + "\"";

    // ---- Login (RFC 959 section 4.1.1) ------------------------------------------------------

    internal FtpReply User(string name)
    {
        if (name.Length == 0)
            return new FtpReply(501, "Missing user name.");
        if (user is not null)
            return new FtpReply(530, "Can't change to another user.");
        if (name is "anonymous" or "ftp" && !Options.AllowAnonymous)
        {
            pendingUser = null;
            return new FtpReply(530, "This FTP server does not allow anonymous logins.");
        }
        // Unknown users get 331 too, so that the reply does not tell which names exist.
        pendingUser = name;
        return new FtpReply(331, "Please specify the password.");
    }

    /// <summary>
    /// PASS. A wrong password is answered 530 only after a delay that doubles with each failure
    /// in the session or from its address (within 10 minutes), and the control connection closes after <see cref="FtpServerOptions.MaxLoginFailures"/>
    /// (as vsftpd's delay_failed_login and max_login_fails), so guessing is slow (RFC 2577 section 5).
    /// </summary>
    internal async Task PassAsync(string password, CancellationToken stopping)
    {
        if (user is not null)
        {
            await ReplyAsync(230, "Already logged in.", stopping);
            return;
        }
        if (pendingUser is null)
        {
            await ReplyAsync(503, "Login with USER first.", stopping);
            return;
        }
        var name = pendingUser;
        pendingUser = null;
        var ok = name is "anonymous" or "ftp"
            ? Options.AllowAnonymous
            : context.Accounts.TryGetValue(name, out var expected)
              && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(password));
        if (ok)
        {
            user = name;
            context.LoginSucceeded(peer);
            await ReplyAsync(230, "Login successful.", stopping);
            return;
        }
        loginFailures++;
        // The delay grows with the failures of the session and of its address, whichever has more:
        // a guesser who reconnects after each close keeps the longest delay.
        var failures = Math.Max(loginFailures, context.LoginFailed(peer));
        if (FailedLoginDelay(failures) is { } delay && delay > TimeSpan.Zero)
            await Task.Delay(delay, context.Time, stopping);
        await ReplyAsync(530, "Login incorrect.", stopping);
        if (loginFailures >= Options.MaxLoginFailures)
        {
            context.Events.Emit(new LogLine(LogSeverity.Warning, $"session {client}: {loginFailures} failed logins; closing the control connection"));
            quit = true;
        }
    }

    /// <summary>The wait before the 530 of the <paramref name="failures"/>th failed login: the option's delay, doubled each time, capped.</summary>
    internal TimeSpan FailedLoginDelay(int failures)
    {
        var first = TimeSpan.FromMilliseconds(Options.LoginFailDelayMs);
        var cap = first > MaxLoginDelay ? first : MaxLoginDelay;
        var delay = first * Math.Pow(2, Math.Min(failures - 1, 20));
        return delay > cap ? cap : delay;
    }

    private static readonly TimeSpan MaxLoginDelay = TimeSpan.FromSeconds(10);

    // ---- Parameters (RFC 959 section 4.1.2) -------------------------------------------------

    internal FtpReply Type(string arg) => arg.ToUpperInvariant() switch
    {
        "I" or "L 8" or "L8" => SetType(true),
        "A" or "A N" => SetType(false),
        "E" or "E N" or "A T" or "A C" or "E T" or "E C" => new FtpReply(504, "Type not implemented for that parameter."),
        var t when t.StartsWith("L ", StringComparison.Ordinal) => new FtpReply(504, "Only byte size 8 is supported."),
        _ => new FtpReply(501, "Unrecognised TYPE command."),
    };

    private FtpReply SetType(bool toBinary)
    {
        binary = toBinary;
        return new FtpReply(200, toBinary ? "Switching to Binary mode." : "Switching to ASCII mode.");
    }

    internal static FtpReply Choice(string arg, string supported, string[] known, string what) =>
        arg.Equals(supported, StringComparison.OrdinalIgnoreCase) ? new FtpReply(200, $"{what} set to {supported}.")
        : known.Contains(arg.ToUpperInvariant()) ? new FtpReply(504, $"{what} {arg.ToUpperInvariant()} not implemented; only {supported}.")
        : new FtpReply(501, $"Unrecognised {what.ToUpperInvariant()} argument.");

    internal FtpReply Restart(string arg)
    {
        if (!long.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            return new FtpReply(501, "REST takes a byte offset.");
        restart = offset;
        return new FtpReply(350, string.Create(CultureInfo.InvariantCulture, $"Restart position accepted ({offset})."));
    }

    /// <summary>
    /// PORT and EPRT: the server will connect to the client. Only to the control connection's
    /// own peer and an unprivileged port, as vsftpd does: anything else would let a client aim
    /// the server at a third host (the "FTP bounce" attack, RFC 2577 section 3).
    /// </summary>
    internal FtpReply Port(string arg)
    {
        // Handout 004 sends "PORT 12346": a port alone, meaning the client's own address (the
        // control connection's peer), so it can aim the server at nothing else.
        if (Options.Handout004Mode && arg.Trim() is { Length: > 0 and <= 5 } bare && bare.All(char.IsAsciiDigit)
            && int.TryParse(bare, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65_535)
            return SetActive(new IPEndPoint(peer, port), "PORT");
        if (!FtpHostPort.TryParsePort(arg, out var target))
            return new FtpReply(501, "Syntax error in PORT argument.");
        return SetActive(target, "PORT");
    }

    internal FtpReply Eprt(string arg)
    {
        if (!FtpHostPort.TryParseEprt(arg, out var target))
            return new FtpReply(501, "Syntax error in EPRT argument.");
        if (target.AddressFamily != peer.AddressFamily)
            return new FtpReply(522, $"Network protocol not supported, use ({(peer.AddressFamily == AddressFamily.InterNetwork ? 1 : 2)})");
        return SetActive(target, "EPRT");
    }

    private FtpReply SetActive(IPEndPoint target, string verb)
    {
        target = new IPEndPoint(FtpHostPort.Normalize(target.Address), target.Port);
        if (!target.Address.Equals(peer) || target.Port < 1024 || IsOwnListener(target))
            return new FtpReply(500, $"Illegal {verb} command.");
        ClearDataSetup();
        activeTarget = target;
        return new FtpReply(200, $"{verb} command successful. Consider using PASV.");
    }

    /// <summary>
    /// On loopback the client's own address is also the portal's: its HTTP port, its lab servers,
    /// this server and other sessions' passive ports. A data connection never goes there (RFC 2577 section 3).
    /// </summary>
    private bool IsOwnListener(IPEndPoint target) =>
        (target.Port == local.Port && target.Address.Equals(FtpHostPort.Normalize(local.Address))) || context.IsOwnListener(target);

    /// <summary>PASV and EPSV: listen on a fresh port of the address the client reached us on.</summary>
    internal FtpReply Passive(bool extended, string arg)
    {
        if (!Options.PassiveEnabled)
            return new FtpReply(502, "Passive mode is turned off on this server; use PORT or EPRT.");
        if (extended && arg.Length > 0)
        {
            if (arg.Equals("ALL", StringComparison.OrdinalIgnoreCase))
                return new FtpReply(200, "EPSV ALL ok.");
            var family = peer.AddressFamily == AddressFamily.InterNetwork ? "1" : "2";
            if (arg != family)
                return new FtpReply(522, $"Network protocol not supported, use ({family})");
        }
        var address = FtpHostPort.Normalize(local.Address);
        if (!extended && address.AddressFamily != AddressFamily.InterNetwork)
            return new FtpReply(500, "PASV is for IPv4; use EPSV.");
        ClearDataSetup();
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, 0));
            listener.Listen(1);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        passiveListener = listener;
        var bound = (IPEndPoint)listener.LocalEndPoint!;
        context.AddPassive(PassiveKey(bound));
        return extended ? new FtpReply(229, FtpHostPort.FormatEpsvReply(bound.Port)) : new FtpReply(227, FtpHostPort.FormatPasvReply(bound));
    }

    private void ClearDataSetup()
    {
        activeTarget = null;
        if (passiveListener is { LocalEndPoint: IPEndPoint bound })
            context.RemovePassive(PassiveKey(bound));
        passiveListener?.Dispose();
        passiveListener = null;
    }

    private static IPEndPoint PassiveKey(IPEndPoint bound) => new(FtpHostPort.Normalize(bound.Address), bound.Port);

    // ---- Files and folders (RFC 959 section 4.1.3, RFC 3659) ---------------------------------

    internal FtpReply ChangeDirectory(string arg)
    {
        var path = FtpFileSystem.Combine(cwd, arg);
        if (context.Files.Resolve(path, out var full) != ContentRoot.Outcome.Found || !Directory.Exists(full))
            return new FtpReply(550, "Failed to change directory.");
        cwd = path;
        return new FtpReply(250, "Directory successfully changed.");
    }

    /// <summary>A file (not a folder) the client may read, or the reply that says why not.</summary>
    private FtpReply? ReadableFile(string arg, out string virtualPath, out string full)
    {
        virtualPath = FtpFileSystem.Combine(cwd, arg);
        return context.Files.Resolve(virtualPath, out full) switch
        {
            ContentRoot.Outcome.Forbidden => new FtpReply(550, "Permission denied."),
            ContentRoot.Outcome.NotFound => new FtpReply(550, "No such file or directory."),
            _ when Directory.Exists(full) => new FtpReply(550, "Not a plain file."),
            // A FIFO or device would block the open (or never end): regular files only.
            _ when !ContentRoot.IsRegularFile(full) => new FtpReply(550, "Not a plain file."),
            _ => null,
        };
    }

    internal FtpReply Size(string arg) =>
        ReadableFile(arg, out _, out var full) ?? new FtpReply(213, new FileInfo(full).Length.ToString(CultureInfo.InvariantCulture));

    // RFC 3659 section 2.3: time-val is YYYYMMDDHHMMSS in UTC.
    internal FtpReply Modified(string arg) =>
        ReadableFile(arg, out _, out var full) ?? new FtpReply(213, File.GetLastWriteTimeUtc(full).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture));

    private FtpReply? WriteDenied(string path, out string full) => context.Files.CheckWrite(path, out full) switch
    {
        FtpFileSystem.WriteCheck.Allowed => null,
        FtpFileSystem.WriteCheck.BadName => new FtpReply(553, "File name not allowed."),
        _ => new FtpReply(550, context.Files.UploadPath is { } upload && (Options.ReadOnly)
            ? $"Permission denied: only {upload} is writable." : "Permission denied."),
    };

    internal FtpReply Delete(string arg)
    {
        var path = FtpFileSystem.Combine(cwd, arg);
        if (WriteDenied(path, out var full) is { } denied)
            return denied;
        if (Directory.Exists(full))
            return new FtpReply(550, "Is a directory; use RMD.");
        if (!File.Exists(full) && new FileInfo(full).LinkTarget is null)
            return new FtpReply(550, "No such file or directory.");
        File.Delete(full);
        return new FtpReply(250, "Delete operation successful.");
    }

    internal FtpReply MakeDirectory(string arg)
    {
        var path = FtpFileSystem.Combine(cwd, arg);
        if (WriteDenied(path, out var full) is { } denied)
            return denied;
        if (Directory.Exists(full) || File.Exists(full))
            return new FtpReply(550, "File exists.");
        Directory.CreateDirectory(full);
        return new FtpReply(257, $"{Quote(path)} created");
    }

    internal FtpReply RemoveDirectory(string arg)
    {
        var path = FtpFileSystem.Combine(cwd, arg);
        if (WriteDenied(path, out var full) is { } denied)
            return denied;
        if (!Directory.Exists(full) || new DirectoryInfo(full).LinkTarget is not null)
            return new FtpReply(550, "No such directory.");
        try
        {
            Directory.Delete(full, recursive: false);
        }
        catch (IOException)
        {
            return new FtpReply(550, "Directory not empty.");
        }
        return new FtpReply(250, "Remove directory operation successful.");
    }

    // ---- Transfers (RFC 959 sections 3.2, 3.3 and 4.1.3) ------------------------------------

    /// <summary>REST applies to the next transfer only (RFC 959 section 4.1.3), whatever it is.</summary>
    private long TakeRestart()
    {
        var offset = restart;
        restart = 0;
        return offset;
    }

    internal async Task RetrieveAsync(string arg, CancellationToken stopping)
    {
        var offset = TakeRestart();
        if (ReadableFile(arg, out var path, out var full) is { } refused)
        {
            await ReplyAsync(refused, stopping);
            return;
        }
        FileStream file;
        try
        {
            file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await ReplyAsync(550, "Failed to open file.", stopping);
            return;
        }
        await using (file)
        {
            if (offset > 0)
                file.Seek(Math.Min(offset, file.Length), SeekOrigin.Begin);
            // TYPE A sends files as they are stored (Unix line ends), as vsftpd does by default: see the FTP notes.
            var opening = string.Create(CultureInfo.InvariantCulture,
                $"Opening {(binary ? "BINARY" : "ASCII")} mode data connection for {FtpFileSystem.Name(path)} ({file.Length - file.Position} bytes).");
            await TransferAsync(FtpTransferDirection.Download, path, opening, (data, count, token) => FtpDataStreams.SendAsync(data, file, Options.DataTimeoutMs, count, token, context.Time), null, stopping);
        }
    }

    /// <summary>LIST (ls -l lines) or NLST (names only) of a folder; "-la" and other ls options are ignored.</summary>
    internal async Task ListAsync(string arg, bool names, CancellationToken stopping)
    {
        TakeRestart();
        var target = string.Join(' ', arg.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(a => !a.StartsWith('-')));
        var path = FtpFileSystem.Combine(cwd, target);
        var outcome = context.Files.Resolve(path, out var full);
        if (outcome != ContentRoot.Outcome.Found)
        {
            await ReplyAsync(550, outcome == ContentRoot.Outcome.Forbidden ? "Permission denied." : "No such file or directory.", stopping);
            return;
        }
        var now = DateTime.UtcNow;
        var text = new StringBuilder();
        foreach (var (name, info) in context.Files.List(path, full))
            text.Append(names ? name : FtpFileSystem.ListLine(name, info, now)).Append("\r\n");
        using var listing = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
        await TransferAsync(FtpTransferDirection.Listing, path, "Here comes the directory listing.",
            (data, count, token) => FtpDataStreams.SendAsync(data, listing, Options.DataTimeoutMs, count, token, context.Time), null, stopping);
    }

    internal async Task StoreAsync(string arg, CancellationToken stopping)
    {
        var offset = TakeRestart();
        var path = FtpFileSystem.Combine(cwd, arg);
        if (WriteDenied(path, out var full) is { } refused)
        {
            await ReplyAsync(refused, stopping);
            return;
        }
        if (Directory.Exists(full))
        {
            await ReplyAsync(553, "Could not create file: a directory has that name.", stopping);
            return;
        }
        if (offset > 0)
        {
            await ReplyAsync(504, "Resuming an upload (REST before STOR) is not supported.", stopping);
            return;
        }
        // Written beside the target and moved over it when complete: a broken upload leaves
        // nothing behind and never destroys the file it would have replaced.
        var partial = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        // The file may be as large as the server takes, and as the room left in its quota
        // (RFC 959 section 4.2: 552, "exceeded storage allocation").
        var room = (long)Options.QuotaMegabytes * 1024 * 1024 - context.Files.Root.BytesUsed();
        if (room <= 0)
        {
            await ReplyAsync(552, $"Exceeded storage allocation: this server's files already take its quota of {Options.QuotaMegabytes} MB.", stopping);
            return;
        }
        // And within what all lab servers together may keep (RFC 959: 452, "insufficient storage space in system").
        if (context.Storage is { } shared)
        {
            var portalRoom = shared.Room();
            if (portalRoom <= 0)
            {
                await ReplyAsync(452, "Insufficient storage space in system: the portal's storage for lab servers is full.", stopping);
                return;
            }
            room = Math.Min(room, portalRoom);
        }
        var limit = Math.Min((long)Options.MaxUploadMegabytes * 1024 * 1024, room);
        var completed = false;
        try
        {
            await using var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            completed = await TransferAsync(FtpTransferDirection.Upload, path, $"Ok to send data for {FtpFileSystem.Name(path)}.",
                (data, count, token) => FtpDataStreams.ReceiveAsync(data, file, limit, Options.DataTimeoutMs, count, token, context.Time),
                // Closed (and moved, or removed) before the 226 or 426, so a client that
                // reads the result right after the reply finds it complete.
                () =>
                {
                    file.Dispose();
                    File.Move(partial, full, overwrite: true);
                },
                stopping,
                () =>
                {
                    file.Dispose();
                    File.Delete(partial);
                });
        }
        finally
        {
            if (!completed)
                File.Delete(partial);
        }
        if (completed && context.Storage is { } budget && File.Exists(full))
            budget.Add(new FileInfo(full).Length);
    }

    /// <summary>
    /// Opens the data connection (connect for PORT/EPRT, accept for PASV/EPSV), sends 150, runs
    /// the transfer while watching the control connection for ABOR, then answers 226, or 425
    /// (no connection), 426 (broken, aborted or stalled) or 552 (upload too big). Every data
    /// connection becomes an <see cref="FtpTransfer"/> event. True when the transfer completed.
    /// </summary>
    private async Task<bool> TransferAsync(FtpTransferDirection direction, string path, string opening,
        Func<Socket, FtpByteCount, CancellationToken, Task> body, Action? onComplete, CancellationToken stopping, Action? onFailed = null)
    {
        transfers++;
        var mode = activeTarget is not null ? FtpDataMode.Active : FtpDataMode.Passive;
        var started = Stopwatch.GetTimestamp();
        var count = new FtpByteCount();
        Socket? data = null;
        string? error = null;
        var completed = false;
        try
        {
            (data, error) = await OpenOrRefuseAsync(stopping);
            if (data is null)
            {
                onFailed?.Invoke();
                await ReplyAsync(425, "Failed to establish connection.", stopping);
                return false;
            }
            Transcript(TranscriptDirection.Info, $"data connection {(mode == FtpDataMode.Active ? "to" : "from")} {data.RemoteEndPoint} ({mode.ToString().ToLowerInvariant()})", TranscriptChannel.Data);
            await ReplyAsync(150, opening, stopping);

            var (outcome, failure) = await RunWatchingControlAsync(token => body(data, count, token), stopping);
            error = failure;
            if (outcome == Outcome.Completed)
            {
                onComplete?.Invoke();
                completed = true;
            }
            else
            {
                onFailed?.Invoke();
            }
            await FinishAsync(outcome, data, stopping);
            return completed;
        }
        finally
        {
            data?.Dispose();
            ClearDataSetup();
            transcript.Transfer(mode, direction, path, Stopwatch.GetElapsedTime(started).TotalMilliseconds, count.Bytes, completed, error);
        }
    }

    /// <summary>The data connection, or null and why not (RFC 959 section 4.2: then 425).</summary>
    private async Task<(Socket?, string?)> OpenOrRefuseAsync(CancellationToken stopping)
    {
        try
        {
            return (await OpenDataAsync(stopping), null);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !stopping.IsCancellationRequested)
        {
            return (null, e is OperationCanceledException ? $"no data connection within {Options.DataTimeoutMs} ms" : $"data connection failed: {e.Message}");
        }
    }

    /// <summary>The final reply of a transfer (RFC 959 section 4.1.3: ABOR gets 426 then 226), after closing the data connection.</summary>
    private async Task FinishAsync(Outcome outcome, Socket data, CancellationToken stopping)
    {
        if (outcome == Outcome.ControlClosed)
            return; // nobody left to tell
        data.Dispose();
        switch (outcome)
        {
            case Outcome.Completed:
                await ReplyAsync(226, "Transfer complete.", stopping);
                break;
            case Outcome.Aborted:
                await ReplyAsync(426, "Connection closed; transfer aborted.", stopping);
                await ReplyAsync(226, "Abort successful.", stopping);
                break;
            case Outcome.TooBig:
                await ReplyAsync(552, "Exceeded storage allocation: the file is larger than this server takes (its upload limit or the room left in its quota).", stopping);
                break;
            default:
                await ReplyAsync(426, "Connection closed; transfer aborted.", stopping);
                break;
        }
    }

    private async Task<Socket> OpenDataAsync(CancellationToken stopping)
    {
        using var timeout = Deadline.After(Options.DataTimeoutMs, stopping, context.Time);
        if (activeTarget is { } target)
        {
            // Checked again now: a lab server or a passive port may have opened there since PORT.
            if (IsOwnListener(target))
                throw new SocketException((int)SocketError.AccessDenied);
            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // From the address the client reached us on (RFC 959 says port L-1; that needs root, and nobody checks).
                socket.Bind(new IPEndPoint(FtpHostPort.Normalize(local.Address), 0));
                await socket.ConnectAsync(target, timeout.Token);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        while (true)
        {
            var accepted = await passiveListener!.AcceptAsync(timeout.Token);
            // Only the control connection's own host may take the data connection (no hijacking by a third host).
            if (FtpHostPort.Normalize(((IPEndPoint)accepted.RemoteEndPoint!).Address).Equals(peer))
                return accepted;
            Transcript(TranscriptDirection.Info, $"refused a data connection from {accepted.RemoteEndPoint}: not the control connection's host", TranscriptChannel.Data);
            accepted.Dispose();
        }
    }

    private enum Outcome { Completed, Aborted, Broken, TimedOut, TooBig, ControlClosed }

    /// <summary>
    /// Runs a transfer and reads the control connection meanwhile: ABOR cancels the transfer,
    /// other commands wait their turn, and a closed control connection ends it.
    /// </summary>
    private async Task<(Outcome, string?)> RunWatchingControlAsync(Func<CancellationToken, Task> transfer, CancellationToken stopping)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var work = transfer(cancel.Token);
        var read = reader.ReadLineAsync(FtpCommandParser.MaxLine, stopReading.Token);
        var why = Outcome.Completed;
        while (!work.IsCompleted)
        {
            if (await Task.WhenAny(work, read) == work)
                break;
            WireLine? line = null;
            try
            {
                line = await read;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            if (line is null)
            {
                why = Outcome.ControlClosed;
                pending.Enqueue(null);
                cancel.Cancel();
                break;
            }
            if (!line.Value.TooLong && FtpCommandParser.Parse(line.Value.Bytes, out var command) == FtpCommandError.None && command.Verb == "ABOR")
            {
                commands++;
                Transcript(TranscriptDirection.ClientToServer, "ABOR");
                why = Outcome.Aborted;
                cancel.Cancel();
                break;
            }
            pending.Enqueue(line);
            read = reader.ReadLineAsync(FtpCommandParser.MaxLine, stopReading.Token);
        }
        stopReading.Cancel();
        try
        {
            // A line may have arrived just as the read was cancelled: keep it.
            if (why is Outcome.Completed && await read is { } late)
                pending.Enqueue(late);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        try
        {
            await work;
            return (why, why switch { Outcome.Aborted => "aborted by the client (ABOR)", Outcome.ControlClosed => "the control connection closed", _ => null });
        }
        catch (FtpLimitException e)
        {
            return (Outcome.TooBig, $"upload larger than the limit ({e.Message})");
        }
        catch (FtpDataTimeoutException e)
        {
            return (Outcome.TimedOut, $"data connection stalled: {e.Message}");
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            if (why is Outcome.Aborted)
                return (why, "aborted by the client (ABOR)");
            if (why is Outcome.ControlClosed)
                return (why, "the control connection closed");
            return (Outcome.Broken, e is SocketException s ? $"data connection broken: {s.SocketErrorCode}" : $"data connection broken: {e.Message}");
        }
    }

    // ---- Replies and transcript ---------------------------------------------------------------

    private Task ReplyAsync(int code, string text, CancellationToken token) => ReplyAsync(new FtpReply(code, text), token);

    internal async Task ReplyAsync(FtpReply reply, CancellationToken token)
    {
        foreach (var line in reply.WireLines())
            Transcript(TranscriptDirection.ServerToClient, line);
        // A client that stops reading replies does not hold the session forever.
        using var timeout = Deadline.After(Options.DataTimeoutMs, token, context.Time);
        await control.SendAsync(Encoding.UTF8.GetBytes(reply.Format()), SocketFlags.None, timeout.Token);
    }

    private async Task TryReplyAsync(int code, string text)
    {
        try
        {
            using var timeout = Deadline.After(1000, time: context.Time);
            await ReplyAsync(new FtpReply(code, text), timeout.Token);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private void Transcript(TranscriptDirection direction, string text, TranscriptChannel channel = TranscriptChannel.Control) =>
        transcript.Write(direction, text, channel);
}
