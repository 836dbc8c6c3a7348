using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Smtp;

namespace Netlab.Labs.Tests.Smtp;

/// <summary>A lab SMTP server on an ephemeral port, with its events collected.</summary>
public sealed class RunningSmtpServer : IAsyncDisposable
{
    private RunningSmtpServer(SmtpServer server, ServerEventLog events)
    {
        Server = server;
        Events = events;
    }

    public SmtpServer Server { get; }
    public ServerEventLog Events { get; }
    public IPEndPoint EndPoint => Server.LocalEndPoint!;
    public int Port => EndPoint.Port;
    public ProbeTarget Target => new("127.0.0.1", IPAddress.Loopback, Port);

    /// <param name="time">The server's clock (a FakeTimeProvider drives its timeouts in tests); the system's by default.</param>
    /// <param name="storageDirectory">The server's own folder (its mailbox goes to files there); null = a mailbox in memory.</param>
    public static async Task<RunningSmtpServer> StartAsync(SmtpServerOptions? options = null, string? dataDirectory = null, TimeProvider? time = null,
        string? storageDirectory = null, IPEndPoint? endPoint = null, StorageBudget? storage = null)
    {
        var environment = new LabEnvironment(Http.Repo.Content) { DataDirectory = dataDirectory, Storage = storage };
        var context = new ServerContext(endPoint ?? Loopback.AnyPort, new EventStream("smtp", 100_000), environment) { StorageDirectory = storageDirectory };
        var server = new SmtpServer(options ?? new SmtpServerOptions(), context, time);
        await server.StartAsync();
        return new RunningSmtpServer(server, new ServerEventLog(server.Events));
    }

    /// <summary>Waits until the server has accepted this many messages (a client may return before the server stored it).</summary>
    public async Task<IReadOnlyList<StoredMail>> MailAsync(int count)
    {
        await Events.WaitForAsync<MailAccepted>(count);
        return Server.Mailbox.List();
    }

    /// <summary>The bytes of a message as the mailbox keeps them.</summary>
    public byte[] Raw(StoredMail mail) => Server.Mailbox.Read(mail.Id) ?? throw new InvalidOperationException($"{mail.Id} is not in the mailbox");

    /// <summary>A message read with MimeKit, as the portal reads it.</summary>
    public ReceivedMail Message(StoredMail mail) => ReceivedMail.Parse(Raw(mail));

    /// <summary>Waits until this many sessions have ended (before a stop, which would end them itself).</summary>
    public Task SessionsClosedAsync(int count = 1) => Events.WaitForAsync<SmtpSessionClosed>(count);

    public async Task<List<LabEvent>> StopAsync()
    {
        await Server.StopAsync();
        return await Events.Completion;
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

    public async Task<SmtpReply> ReplyAsync(int timeoutMs = 5000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        var reply = await MultilineReply.ReadAsync(reader, SmtpReply.Grammar, null, timeout.Token);
        return new SmtpReply(reply.Code, reply.Lines);
    }

    /// <summary>Sends one command (CRLF added) and returns the reply.</summary>
    public async Task<SmtpReply> CommandAsync(string line)
    {
        await SendRawAsync(line + "\r\n");
        return await ReplyAsync();
    }

    /// <summary>True when the server has closed the connection (reads end) within the timeout.</summary>
    public async Task<bool> ClosedAsync(int timeoutMs = 5000)
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
