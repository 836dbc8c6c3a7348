using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

public sealed record FtpShellOptions
{
    /// <summary>How long each reply, connect or stalled data read may take, in ms.</summary>
    public int TimeoutMs { get; init; } = 10_000;

    /// <summary>Start in passive mode (the handout's client starts active).</summary>
    public bool Passive { get; init; }

    /// <summary>The login connect uses when it is given none.</summary>
    public string User { get; init; } = "anonymous";

    public string Password { get; init; } = "netlab@";

    /// <summary>Start in handout mode: talk to a server written from handout 004's class exercise, not an RFC 959 one.</summary>
    public bool Handout { get; init; }

    /// <summary>In handout mode, how long a pause ends an unterminated status or a transfer with no size (the handout's settimeout), in ms.</summary>
    public int HandoutPauseMs { get; init; } = 300;

    /// <summary>Which addresses connect may reach (the portal's allow-list); loopback only unless told.</summary>
    public Func<IPAddress, bool> AllowAddress { get; init; } = IPAddress.IsLoopback;

    /// <summary>The most a directory listing may be (each line becomes an event): a real one is a few KB.</summary>
    public long MaxListingBytes { get; init; } = 1024 * 1024;

    /// <summary>The most one get may download into the scratch folder.</summary>
    public long MaxDownloadBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The most all files of the scratch folder may take together (gets stop at the room left).</summary>
    public long MaxScratchBytes { get; init; } = 256L * 1024 * 1024;
}

/// <summary>What one shell command printed, whether it worked, and the server's reply code if one decided it.</summary>
public sealed record FtpShellResult(bool Ok, IReadOnlyList<string> Lines, int? ReplyCode = null, bool Exit = false)
{
    public string Text => string.Join('\n', Lines);
}

/// <summary>
/// The handout's FTP client shell (connect, cd, pwd, lcd, ls, get, put, system, bye, exit, plus
/// help, login and passive), one per console user. Each command line gives back the lines the
/// handout's table shows ("OK Changed to '/pub'") or, on an error, the reply code and its
/// description. The local side (lcd, get, put) is a scratch folder that names cannot leave.
/// </summary>
public sealed class FtpShell : IAsyncDisposable
{
    private readonly IEventSink events;
    private readonly FtpShellOptions options;
    private readonly ContentRoot scratch;
    private FtpClientConnection? connection;
    private FtpHandoutConnection? handout;
    private string localDirectory = "/";
    private bool passive;
    private bool handoutMode;

    public FtpShell(string scratchRoot, IEventSink events, FtpShellOptions? options = null)
    {
        Directory.CreateDirectory(scratchRoot);
        scratch = new ContentRoot(scratchRoot);
        this.events = events;
        this.options = options ?? new FtpShellOptions();
        passive = this.options.Passive;
        handoutMode = this.options.Handout;
    }

    public bool Connected => connection is not null || handout is not null;
    public bool Passive => passive;

    /// <summary>Talking (or about to talk) to a handout-004-style server: free-text statuses, PORT with a bare port, no login.</summary>
    public bool HandoutMode => handoutMode;

    /// <summary>The local directory, as a path inside the scratch folder ("/" is the folder itself).</summary>
    public string LocalDirectory => localDirectory;

    public long BytesDownloaded { get; private set; }
    public long BytesUploaded { get; private set; }

    public static IReadOnlyList<string> Help { get; } =
    [
        "connect host port [user [password]]   connect (and log in, as anonymous unless told)",
        "login user [password]                 log in as another user",
        "cd dir          CWD: change the remote directory",
        "pwd             PWD: show the remote directory",
        "lcd [dir]       change the local directory",
        "ls [dir]        LIST: list the remote directory",
        "get file [local]   RETR: download a file",
        "put file [remote]  STOR: upload a file",
        "system          SYST: the server's system type",
        "passive on|off  passive (PASV/EPSV) or active (PORT/EPRT, the default) data connections",
        "handout on|off  talk to a server written from handout 004 (\"connected\"/\"OK\" statuses, PORT <port>, no login)",
        "bye             QUIT: close the connection",
        "exit            leave the shell",
    ];

    public async Task<FtpShellResult> ExecuteAsync(string commandLine, CancellationToken cancellationToken)
    {
        var words = Split(commandLine);
        if (words is null)
            return Fail("Unbalanced quotes.");
        if (words.Count == 0)
            return new FtpShellResult(true, []);
        var args = words.Skip(1).ToList();
        try
        {
            return words[0].ToLowerInvariant() switch
            {
                "help" or "?" => new FtpShellResult(true, Help),
                "connect" or "open" => args.Count is >= 2 and <= 4 && int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                    ? await ConnectAsync(args[0], port, args.ElementAtOrDefault(2) ?? options.User, args.ElementAtOrDefault(3) ?? (args.Count > 2 ? "" : options.Password), cancellationToken)
                    : Fail("Usage: connect host port [user [password]]"),
                "login" or "user" => args.Count is 1 or 2 ? await LoginAsync(args[0], args.ElementAtOrDefault(1) ?? "", cancellationToken) : Fail("Usage: login user [password]"),
                "cd" => args.Count == 1 ? await ChangeDirectoryAsync(args[0], cancellationToken) : Fail("Usage: cd dir"),
                "pwd" => args.Count == 0 ? await PrintDirectoryAsync(cancellationToken) : Fail("Usage: pwd"),
                "lcd" => args.Count <= 1 ? LocalChangeDirectory(args.ElementAtOrDefault(0) ?? "/") : Fail("Usage: lcd [dir]"),
                "ls" or "dir" => args.Count <= 1 ? await ListAsync(args.ElementAtOrDefault(0), cancellationToken) : Fail("Usage: ls [dir]"),
                "get" => args.Count is 1 or 2 ? await GetAsync(args[0], args.ElementAtOrDefault(1), cancellationToken) : Fail("Usage: get file [local-name]"),
                "put" => args.Count is 1 or 2 ? await PutAsync(args[0], args.ElementAtOrDefault(1), cancellationToken) : Fail("Usage: put file [remote-name]"),
                "system" => args.Count == 0 ? await SystemAsync(cancellationToken) : Fail("Usage: system"),
                "passive" => args.Count == 1 && args[0].ToLowerInvariant() is "on" or "off" ? SetPassive(args[0].Equals("on", StringComparison.OrdinalIgnoreCase))
                    : args.Count == 0 ? SetPassive(!passive) : Fail("Usage: passive on|off"),
                "handout" => args.Count == 1 && args[0].ToLowerInvariant() is "on" or "off" ? await SetHandoutAsync(args[0].Equals("on", StringComparison.OrdinalIgnoreCase))
                    : args.Count == 0 ? await SetHandoutAsync(!handoutMode) : Fail("Usage: handout on|off"),
                "bye" or "quit" or "close" => await ByeAsync(cancellationToken),
                "exit" => await ExitAsync(cancellationToken),
                _ => Fail($"Unknown command '{words[0]}'. Type help for the list."),
            };
        }
        catch (Exception e) when (e is FtpProtocolException or SocketException or IOException)
        {
            // The control connection is no use after this: drop it, as ftp(1) does on a lost connection.
            await DropAsync();
            return Fail($"Connection lost: {e.Message}. Use connect to start again.");
        }
    }

    /// <summary>Connects to an address (the probe uses this with its target), logs in, and switches to binary.</summary>
    public async Task<FtpShellResult> ConnectAsync(string host, int port, string user, string password, CancellationToken cancellationToken)
    {
        IPAddress address;
        if (!IPAddress.TryParse(host, out address!))
        {
            try
            {
                using var timeout = Deadline.After(options.TimeoutMs, cancellationToken);
                var found = await System.Net.Dns.GetHostAddressesAsync(host, timeout.Token);
                address = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault()
                    ?? throw new SocketException((int)SocketError.HostNotFound);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return Fail($"Unknown host '{host}'.");
            }
        }
        if (!options.AllowAddress(address))
            return Fail($"Connecting to {address} is not allowed here.");
        await DropAsync();
        if (handoutMode)
            return await ConnectHandoutAsync(new IPEndPoint(address, port), cancellationToken);
        FtpClientConnection opened;
        FtpReply greeting;
        try
        {
            (opened, greeting) = await FtpClientConnection.ConnectAsync(new IPEndPoint(address, port), events, options.TimeoutMs, cancellationToken);
        }
        catch (SocketException e)
        {
            return Fail($"Cannot connect to {address}:{port}: {e.Message}");
        }
        catch (LabException e)
        {
            return Fail(e.Message);
        }
        if (greeting.Code != 220)
        {
            await opened.DisposeAsync();
            return FromReply(greeting);
        }
        opened.Passive = passive;
        connection = opened;
        var login = await LoginAsync(user, password, cancellationToken);
        if (!login.Ok)
            return login;
        return new FtpShellResult(true, ["OK Connection established"], 230);
    }

    private async Task<FtpShellResult> LoginAsync(string user, string password, CancellationToken cancellationToken)
    {
        if (handout is not null)
            return Fail("Handout 004's servers have no login. Use handout off and connect again for an RFC 959 server.");
        if (connection is not { } c)
            return NotConnected();
        var reply = await c.CommandAsync($"USER {user}", cancellationToken);
        if (reply.Code == 331)
            reply = await c.CommandAsync($"PASS {password}", cancellationToken);
        if (reply.Code != 230)
            return FromReply(reply);
        // Files are bytes: binary type, so a get is an exact copy whatever the server does for ASCII.
        var type = await c.CommandAsync("TYPE I", cancellationToken);
        return type.IsSuccess ? new FtpShellResult(true, [$"OK Logged in as {user}"], 230) : FromReply(type);
    }

    private async Task<FtpShellResult> ChangeDirectoryAsync(string dir, CancellationToken cancellationToken)
    {
        if (handout is { } h)
            return await HandoutSimpleAsync(h, $"CWD {dir}", (_, _) => $"OK Changed to '{dir}'", cancellationToken);
        if (connection is not { } c)
            return NotConnected();
        var reply = await c.CommandAsync($"CWD {dir}", cancellationToken);
        if (!reply.IsSuccess)
            return FromReply(reply);
        var pwd = await c.CommandAsync("PWD", cancellationToken);
        return new FtpShellResult(true, [$"OK Changed to '{(pwd.Code == 257 && QuotedPath(pwd.Message) is { } path ? path : dir)}'"], reply.Code);
    }

    private async Task<FtpShellResult> PrintDirectoryAsync(CancellationToken cancellationToken)
    {
        if (handout is { } h)
            return await HandoutSimpleAsync(h, "PWD", (data, status) => $"OK Current directory '{data ?? status}'", cancellationToken);
        if (connection is not { } c)
            return NotConnected();
        var reply = await c.CommandAsync("PWD", cancellationToken);
        return reply.Code == 257 && QuotedPath(reply.Message) is { } path
            ? new FtpShellResult(true, [$"OK Current directory '{path}'"], 257)
            : FromReply(reply);
    }

    private FtpShellResult LocalChangeDirectory(string dir)
    {
        var path = FtpFileSystem.Combine(localDirectory, dir);
        if (scratch.TryResolve(path, out var full) != ContentRoot.Outcome.Found || !Directory.Exists(full))
            return Fail($"Local directory '{dir}' does not exist.");
        localDirectory = path;
        return new FtpShellResult(true, [$"OK Local directory: '{path}'"]);
    }

    private async Task<FtpShellResult> ListAsync(string? dir, CancellationToken cancellationToken)
    {
        if (handout is { } h)
            return await HandoutListAsync(h, dir, cancellationToken);
        if (connection is not { } c)
            return NotConnected();
        using var listing = new MemoryStream();
        var result = await c.TransferAsync(dir is null ? "LIST" : $"LIST {dir}", FtpTransferDirection.Listing, dir ?? ".", null, listing, cancellationToken, options.MaxListingBytes);
        if (!result.Completed)
            return FromReply(result.Reply);
        BytesDownloaded += result.Bytes;
        var lines = Encoding.UTF8.GetString(listing.ToArray()).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        foreach (var line in lines)
            events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Data, line, c.Name));
        return new FtpShellResult(true, ["OK List contents of remote dir", .. lines], result.Reply.Code);
    }

    private async Task<FtpShellResult> GetAsync(string remote, string? localName, CancellationToken cancellationToken)
    {
        if (connection is null && handout is null)
            return NotConnected();
        var local = FtpFileSystem.Combine(localDirectory, localName ?? FtpFileSystem.Name(FtpFileSystem.Combine("/", remote)));
        if (LocalTarget(local) is not { } full)
            return Fail($"Cannot write the local file '{local}'.");
        var room = options.MaxScratchBytes - scratch.BytesUsed();
        if (room <= 0)
            return Fail($"The local folder is full: its files take its quota of {options.MaxScratchBytes / 1024 / 1024} MB. Delete some first.");
        var partial = full + ".part";
        var completed = false;
        try
        {
            var limit = Math.Min(options.MaxDownloadBytes, room);
            long bytes;
            int? code;
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                if (handout is { } h)
                {
                    var exchange = await h.ExchangeAsync($"RETR {remote}", file, null, limit, cancellationToken, FtpTransferDirection.Download, remote);
                    if (exchange.Failed)
                        return FromHandout(exchange);
                    if (exchange.AnnouncedSize is { } size && size != exchange.DataBytes)
                        return Fail(string.Create(CultureInfo.InvariantCulture, $"GET: the server announced {size} bytes and sent {exchange.DataBytes}."));
                    (bytes, code) = (exchange.DataBytes, exchange.Code);
                }
                else
                {
                    var result = await connection!.TransferAsync($"RETR {remote}", FtpTransferDirection.Download, remote, null, file, cancellationToken, limit);
                    if (!result.Completed)
                        return FromReply(result.Reply);
                    (bytes, code) = (result.Bytes, result.Reply.Code);
                }
            }
            File.Move(partial, full, overwrite: true);
            completed = true;
            BytesDownloaded += bytes;
            return new FtpShellResult(true, [string.Create(CultureInfo.InvariantCulture, $"OK GET: '{remote}' ({bytes} bytes)")], code);
        }
        finally
        {
            if (!completed)
                File.Delete(partial);
        }
    }

    private async Task<FtpShellResult> PutAsync(string localName, string? remote, CancellationToken cancellationToken)
    {
        if (connection is null && handout is null)
            return NotConnected();
        var local = FtpFileSystem.Combine(localDirectory, localName);
        if (scratch.TryResolve(local, out var full) != ContentRoot.Outcome.Found || !File.Exists(full))
            return Fail($"Local file '{localName}' does not exist.");
        remote ??= FtpFileSystem.Name(local);
        await using var file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (handout is { } h)
        {
            var exchange = await h.ExchangeAsync($"STOR {remote}", null, file, 0, cancellationToken, FtpTransferDirection.Upload, remote);
            if (exchange.Failed)
                return FromHandout(exchange);
            BytesUploaded += exchange.DataBytes;
            return new FtpShellResult(true, [string.Create(CultureInfo.InvariantCulture, $"OK PUT: '{remote}' ({exchange.DataBytes} bytes)")], exchange.Code);
        }
        var result = await connection!.TransferAsync($"STOR {remote}", FtpTransferDirection.Upload, remote, file, null, cancellationToken);
        if (!result.Completed)
            return FromReply(result.Reply);
        BytesUploaded += result.Bytes;
        return new FtpShellResult(true, [string.Create(CultureInfo.InvariantCulture, $"OK PUT: '{remote}' ({result.Bytes} bytes)")], result.Reply.Code);
    }

    private async Task<FtpShellResult> SystemAsync(CancellationToken cancellationToken)
    {
        if (handout is { } h)
            return await HandoutSimpleAsync(h, "SYST", (data, status) => $"OK System type {data ?? status}", cancellationToken);
        if (connection is not { } c)
            return NotConnected();
        var reply = await c.CommandAsync("SYST", cancellationToken);
        return reply.Code == 215 ? new FtpShellResult(true, [$"OK System type {reply.Message}"], 215) : FromReply(reply);
    }

    private FtpShellResult SetPassive(bool on)
    {
        if (on && handoutMode)
            return Fail("Handout 004's protocol is active mode only (the server connects to the client's PORT). Use handout off first.");
        passive = on;
        if (connection is not null)
            connection.Passive = on;
        return new FtpShellResult(true, [on ? "OK Passive mode on (PASV/EPSV)" : "OK Passive mode off: active mode (PORT/EPRT)"]);
    }

    private async Task<FtpShellResult> ByeAsync(CancellationToken cancellationToken)
    {
        if (handout is { } h)
        {
            await h.QuitAsync(cancellationToken);
            await DropAsync();
            return new FtpShellResult(true, ["OK Connection closed"]);
        }
        if (connection is not { } c)
            return NotConnected();
        var reply = await c.QuitAsync(cancellationToken);
        await DropAsync();
        return new FtpShellResult(true, ["OK Connection closed"], reply?.Code);
    }

    private async Task<FtpShellResult> ExitAsync(CancellationToken cancellationToken)
    {
        if (connection is { } c)
            await c.QuitAsync(cancellationToken);
        if (handout is { } h)
            await h.QuitAsync(cancellationToken);
        await DropAsync();
        return new FtpShellResult(true, ["OK Goodbye"], Exit: true);
    }

    /// <summary>The real path for a local file to write: its folder must exist inside the scratch folder.</summary>
    private string? LocalTarget(string local)
    {
        var name = FtpFileSystem.Name(local);
        if (name.Length == 0 || name.Any(c => char.IsControl(c) || c is '\\' or ':'))
            return null;
        if (scratch.TryResolve(FtpFileSystem.Parent(local), out var parent) != ContentRoot.Outcome.Found || !Directory.Exists(parent))
            return null;
        var full = Path.Combine(parent, name);
        // An existing link there could point out of the scratch folder.
        return scratch.TryResolve(local, out _) == ContentRoot.Outcome.Forbidden || Directory.Exists(full) ? null : full;
    }

    /// <summary>The path in a 257 reply: the text between the first quote and its closing quote, "" inside meaning " (RFC 959 appendix II).</summary>
    public static string? QuotedPath(string text)
    {
        var start = text.IndexOf('"');
        if (start < 0)
            return null;
        var path = new StringBuilder();
        for (var i = start + 1; i < text.Length; i++)
        {
            if (text[i] != '"')
            {
                path.Append(text[i]);
                continue;
            }
            if (i + 1 < text.Length && text[i + 1] == '"')
            {
                path.Append('"');
                i++;
                continue;
            }
            return path.ToString();
        }
        return null;
    }

    /// <summary>Words of a command line; double quotes keep spaces in a name. Null when a quote is not closed.</summary>
    private static List<string>? Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in line.Trim())
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any)
                    words.Add(word.ToString());
                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
                any = true;
            }
        }
        if (quoted)
            return null;
        if (any)
            words.Add(word.ToString());
        return words;
    }

    private static FtpShellResult FromReply(FtpReply reply) => new(false, [reply.ToString()], reply.Code);

    private static FtpShellResult Fail(string message) => new(false, [message]);

    private static FtpShellResult NotConnected() => Fail("Not connected. Use connect host port first.");

    private async Task DropAsync()
    {
        if (connection is { } c)
        {
            connection = null;
            await c.DisposeAsync();
        }
        if (handout is { } h)
        {
            handout = null;
            await h.DisposeAsync();
        }
    }

    private async Task<FtpShellResult> SetHandoutAsync(bool on)
    {
        if (on == handoutMode)
            return new FtpShellResult(true, [on ? "OK Handout mode is on" : "OK Handout mode is off"]);
        // The two protocols cannot share a connection: switching drops it.
        var wasConnected = Connected;
        await DropAsync();
        handoutMode = on;
        if (on)
            passive = false;
        return new FtpShellResult(true, [(on ? "OK Handout mode on: handout 004's protocol (\"connected\"/\"OK\", PORT <port>, no login, active only)" : "OK Handout mode off: RFC 959")
            + (wasConnected ? ". Disconnected: use connect again." : "")]);
    }

    private async Task<FtpShellResult> ConnectHandoutAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        try
        {
            var (opened, greeting, portStatus) = await FtpHandoutConnection.ConnectAsync(server, events, options.TimeoutMs, cancellationToken, options.HandoutPauseMs);
            handout = opened;
            return new FtpShellResult(true, ["OK Connection established", $"Server: {greeting.Trim()}", $"PORT {opened.DataPort}: {portStatus}"]);
        }
        catch (SocketException e)
        {
            return Fail($"Cannot connect to {server}: {e.Message}");
        }
        catch (LabException e)
        {
            return Fail(e.Message);
        }
    }

    /// <summary>A command whose answer is text: <paramref name="ok"/> gets what the data connection brought (null: nothing) and the status.</summary>
    private async Task<FtpShellResult> HandoutSimpleAsync(FtpHandoutConnection h, string command, Func<string?, string, string> ok, CancellationToken cancellationToken)
    {
        using var data = new MemoryStream();
        var exchange = await h.ExchangeAsync(command, data, null, MaxHandoutText, cancellationToken);
        if (exchange.Failed)
            return FromHandout(exchange);
        var text = Encoding.UTF8.GetString(data.ToArray()).Trim();
        if (text.Length > 0)
            events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Data, text, h.Name));
        return new FtpShellResult(true, [ok(text.Length > 0 ? text : null, exchange.Status)], exchange.Code);
    }

    /// <summary>The most a handout server's answer to cd, pwd or system may be.</summary>
    private const int MaxHandoutText = 64 * 1024;

    private async Task<FtpShellResult> HandoutListAsync(FtpHandoutConnection h, string? dir, CancellationToken cancellationToken)
    {
        using var listing = new MemoryStream();
        var exchange = await h.ExchangeAsync(dir is null ? "LIST" : $"LIST {dir}", listing, null, options.MaxListingBytes, cancellationToken, FtpTransferDirection.Listing, dir ?? ".");
        if (exchange.Failed)
            return FromHandout(exchange);
        BytesDownloaded += exchange.DataBytes;
        var lines = Encoding.UTF8.GetString(listing.ToArray()).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        foreach (var line in lines)
            events.Emit(new TranscriptLine(TranscriptDirection.ServerToClient, TranscriptChannel.Data, line, h.Name));
        return new FtpShellResult(true, ["OK List contents of remote dir", .. lines], exchange.Code);
    }

    private static FtpShellResult FromHandout(FtpHandoutExchange exchange) => new(false, [exchange.Status], exchange.Code);

    public async ValueTask DisposeAsync()
    {
        if (handout is { } h)
        {
            using var timeout = Deadline.After(1000);
            await h.QuitAsync(timeout.Token);
        }
        if (connection is { } c)
        {
            using var timeout = Deadline.After(1000);
            try
            {
                await c.QuitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await DropAsync();
    }
}
