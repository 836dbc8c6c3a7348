using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>A lab SMTP server on an ephemeral port, with its events collected.</summary>
public sealed class RunningSmtpServer : IAsyncDisposable
{
    private readonly Task<List<LabEvent>> events;

    private RunningSmtpServer(SmtpServer server, Task<List<LabEvent>> events)
    {
        Server = server;
        this.events = events;
    }

    public SmtpServer Server { get; }
    public IPEndPoint EndPoint => Server.LocalEndPoint!;
    public int Port => EndPoint.Port;
    public ProbeTarget Target => new("127.0.0.1", IPAddress.Loopback, Port);

    public static async Task<RunningSmtpServer> StartAsync(SmtpServerOptions? options = null, string? dataDirectory = null)
    {
        var environment = new LabEnvironment(Http.Repo.Content) { DataDirectory = dataDirectory };
        var server = new SmtpServer(options ?? new SmtpServerOptions(), new ServerContext(Loopback.AnyPort, new EventStream("smtp", 100_000), environment));
        await server.StartAsync();
        return new RunningSmtpServer(server, Loopback.DrainAsync(server.Events));
    }

    /// <summary>Waits until the mailbox holds this many messages (a client may return before the server stored it).</summary>
    public async Task<IReadOnlyList<StoredMail>> MailAsync(int count)
    {
        await Eventually.UntilAsync(() => Server.Mailbox.List().Count >= count, $"{count} message(s) in the mailbox");
        return Server.Mailbox.List();
    }

    /// <summary>Waits until every session has ended (its SmtpSessionClosed written).</summary>
    public Task SessionsEndedAsync() => Eventually.UntilAsync(() => Server.SessionCount == 0, "the SMTP sessions to end");

    public async Task<List<LabEvent>> StopAsync()
    {
        await Server.StopAsync();
        return await events;
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>A hand-driven SMTP dialogue over a raw socket: exact bytes out, replies in.</summary>
public sealed class RawSmtp : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly LineReader reader;
    private readonly NetworkStream stream;

    private RawSmtp(Socket socket)
    {
        this.socket = socket;
        stream = new NetworkStream(socket);
        reader = new LineReader(stream);
    }

    public static async Task<RawSmtp> ConnectAsync(IPEndPoint server, bool readGreeting = true)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        var raw = new RawSmtp(socket);
        if (readGreeting)
            Assert.Equal(220, (await raw.ReplyAsync()).Code);
        return raw;
    }

    public Task SendRawAsync(string text) => SendRawAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendRawAsync(byte[] bytes) => await socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>Reads one reply; the timeout only guards against a server that never answers.</summary>
    public async Task<SmtpReply> ReplyAsync(int timeoutMs = 30_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        var lines = new List<string>();
        while (true)
        {
            var line = await reader.ReadLineAsync(4096, timeout.Token) ?? throw new IOException($"closed after {string.Join(" | ", lines)}");
            Assert.True(SmtpReply.TryParseLine(line.Text, out var code, out var more, out var text), $"not a reply: {line.Text}");
            lines.Add(text);
            if (!more) return new SmtpReply(code, lines);
        }
    }

    /// <summary>Sends one command (CRLF added) and returns the reply.</summary>
    public async Task<SmtpReply> CommandAsync(string line)
    {
        await SendRawAsync(line + "\r\n");
        return await ReplyAsync();
    }

    /// <summary>True when the server has closed the connection (reads end) within the timeout.</summary>
    public async Task<bool> ClosedAsync(int timeoutMs = 30_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        try
        {
            while (await reader.ReadLineAsync(4096, timeout.Token) is not null) { }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        socket.Dispose();
    }
}
