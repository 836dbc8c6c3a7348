using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;
using Netlab.Labs.Tests.Http;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>
/// The FTP server on an ephemeral port over a private copy of wwwroot-content/ftp (so uploads
/// never touch the repository), with its events collected.
/// </summary>
public sealed class RunningFtpServer : IAsyncDisposable
{
    private RunningFtpServer(FtpServer server, string content, ServerEventLog events)
    {
        Server = server;
        Content = content;
        Events = events;
    }

    public FtpServer Server { get; }
    public ServerEventLog Events { get; }

    /// <summary>The temporary content root; the FTP root is its ftp/ folder.</summary>
    public string Content { get; }

    public string Root => Path.Combine(Content, "ftp");
    public IPEndPoint EndPoint => Server.LocalEndPoint!;
    public int Port => EndPoint.Port;
    public string Url => $"ftp://127.0.0.1:{Port}";
    public ProbeTarget Target => new("127.0.0.1", IPAddress.Loopback, Port);

    /// <param name="time">The server's clock (a FakeTimeProvider drives its timeouts in tests); the system's by default.</param>
    /// <param name="isOwnListener">The environment's hook naming the portal's own listeners (<see cref="LabEnvironment.IsOwnListener"/>).</param>
    public static async Task<RunningFtpServer> StartAsync(FtpServerOptions? options = null, Action<string>? prepareRoot = null, TimeProvider? time = null,
        Func<IPEndPoint, bool>? isOwnListener = null, StorageBudget? storage = null)
    {
        var content = Directory.CreateTempSubdirectory("netlab-ftp-test-").FullName;
        CopyFolder(Path.Combine(Repo.Content, "ftp"), Path.Combine(content, "ftp"));
        prepareRoot?.Invoke(Path.Combine(content, "ftp"));
        var server = new FtpServer(options ?? new FtpServerOptions(), new ServerContext(Loopback.AnyPort, new EventStream("ftp", 100_000), new LabEnvironment(content) { IsOwnListener = isOwnListener, Storage = storage }), time);
        await server.StartAsync();
        return new RunningFtpServer(server, content, new ServerEventLog(server.Events));
    }

    public string File(string virtualPath) => Path.Combine(Root, virtualPath.TrimStart('/'));

    /// <summary>Waits until this many sessions have ended (each says so in a "session ... closed" line).</summary>
    public Task SessionsClosedAsync(int count = 1) => Events.WaitForAsync<LogLine>(count, l => l.Text.Contains(" closed ("));

    public async Task<List<LabEvent>> StopAsync()
    {
        await Server.StopAsync();
        return await Events.Completion;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(Content, recursive: true); } catch (IOException) { }
    }

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            System.IO.File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from))
            CopyFolder(dir, Path.Combine(to, Path.GetFileName(dir)));
    }
}

/// <summary>
/// A hand-driven control connection: send any bytes, read replies. For the tests of each error
/// reply, where a real client would refuse to send what we want to send.
/// </summary>
public sealed class RawFtp : IAsyncDisposable
{
    private readonly LineReader reader;

    private RawFtp(Socket socket)
    {
        Socket = socket;
        reader = new LineReader(new NetworkStream(socket, ownsSocket: false));
    }

    public Socket Socket { get; }

    public static async Task<RawFtp> ConnectAsync(IPEndPoint server, bool login = true)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        var raw = new RawFtp(socket);
        Assert.Equal(220, (await raw.ReadAsync()).Code);
        if (login)
        {
            Assert.Equal(331, (await raw.SendAsync("USER anonymous")).Code);
            Assert.Equal(230, (await raw.SendAsync("PASS x@y")).Code);
        }
        return raw;
    }

    public async Task<FtpReply> SendAsync(string line)
    {
        await SendBytesAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
        return await ReadAsync();
    }

    public Task SendBytesAsync(byte[] bytes) => Socket.SendAsync(bytes, SocketFlags.None);

    public async Task<FtpReply> ReadAsync(int timeoutMs = 5000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        return FtpReply.From(await MultilineReply.ReadAsync(reader, FtpReply.Grammar, null, timeout.Token));
    }

    /// <summary>True when the server closes the connection (within the timeout).</summary>
    public async Task<bool> ClosedAsync(int timeoutMs = 5000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        try
        {
            return await reader.ReadLineAsync(FtpCommandParser.MaxLine, timeout.Token) is null;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>PASV, then a connection to the port it names.</summary>
    public async Task<Socket> PassiveAsync()
    {
        var reply = await SendAsync("PASV");
        Assert.Equal(227, reply.Code);
        Assert.True(FtpHostPort.TryParsePasvReply(reply.Message, out var endPoint));
        var data = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await data.ConnectAsync(endPoint);
        return data;
    }

    public ValueTask DisposeAsync()
    {
        Socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>pyftpdlib as a reference server, on a free port it reports itself.</summary>
public sealed class PyFtpdServer : IAsyncDisposable
{
    private readonly Process process;

    private PyFtpdServer(Process process, int port, string root)
    {
        this.process = process;
        Port = port;
        Root = root;
    }

    public int Port { get; }
    public string Root { get; }

    public static async Task<PyFtpdServer> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("netlab-pyftpd-").FullName;
        RunningFtpServer.CopyFolder(Path.Combine(Repo.Content, "ftp"), root);
        var info = new ProcessStartInfo(Tool.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(PythonPeer.PeerPath("ftp_pyftpdlib_server.py"));
        info.ArgumentList.Add(root);
        var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(15_000);
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("PORT "))
            throw new InvalidOperationException($"pyftpdlib did not start: {line} {await process.StandardError.ReadToEndAsync()}");
        _ = process.StandardError.ReadToEndAsync(); // keep its pipe drained
        return new PyFtpdServer(process, int.Parse(line[5..]), root);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
