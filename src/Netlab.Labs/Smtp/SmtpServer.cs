using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>
/// The lab's mail server: a sink that speaks RFC 5321 with STARTTLS and AUTH, keeps every
/// accepted message in its mailbox, records every session, and can be told to fail a stage
/// (fault injection) so students can test how their clients handle errors.
/// </summary>
public sealed class SmtpServer : LabServer
{
    private readonly SmtpSessionContext context;
    private readonly Lock gate = new();
    private readonly Dictionary<Socket, Task> sessions = [];
    private Socket? listener;
    private SmtpFault fault;
    private long sessionCount;

    public SmtpServer(SmtpServerOptions options, ServerContext server) : base("smtp", server.EndPoint, server.Events)
    {
        Options = options;
        fault = options.InitialFault();
        Mailbox = new SmtpMailbox(options.MailboxSize);
        Certificate = options.StartTls ? SmtpCertificate.Load(options, server.Environment.DataDirectory) : null;
        context = new SmtpSessionContext(options, Mailbox, server.Events, Certificate, () => Volatile.Read(ref fault));
    }

    public SmtpServerOptions Options { get; }

    public SmtpMailbox Mailbox { get; }

    /// <summary>The certificate STARTTLS presents (null when TLS is off).</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The fault being injected; can be changed while the server runs.</summary>
    public SmtpFault Fault
    {
        get => Volatile.Read(ref fault);
        set
        {
            Volatile.Write(ref fault, value);
            Events.Emit(new LogLine(LogSeverity.Info, value.Stage == SmtpFaultStage.None
                ? "fault injection off"
                : $"fault injection: {value.Stage} answers {value.Code} with probability {value.Probability:0.##}"));
        }
    }

    protected override IPEndPoint Bind(IPEndPoint requested)
    {
        var s = new Socket(requested.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Bind(requested);
            s.Listen(512);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        listener = s;
        Events.Emit(new LogLine(LogSeverity.Info, $"SMTP server on {s.LocalEndPoint} as {Options.Hostname}"
            + (Certificate is null ? ", no TLS" : $", STARTTLS with {Certificate.Subject} (SHA-256 {Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)[..16]}…)")));
        return (IPEndPoint)s.LocalEndPoint!;
    }

    protected override async Task ServeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener!.AcceptAsync(stoppingToken);
            }
            catch (SocketException e) when (!stoppingToken.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue;
            }
            client.NoDelay = true;
            var id = $"s{Interlocked.Increment(ref sessionCount)}";
            lock (gate)
            {
                if (sessions.Count >= Options.MaxSessions)
                {
                    _ = RefuseAsync(client, id);
                    continue;
                }
                var session = new SmtpSession(client, id, context);
                sessions[client] = Task.Run(async () =>
                {
                    try
                    {
                        await session.RunAsync(stoppingToken);
                    }
                    catch (Exception e)
                    {
                        // A bug in one session must not reach the server.
                        Events.Emit(new LogLine(LogSeverity.Error, $"session {id}: {e.GetType().Name}: {e.Message}"));
                    }
                    finally
                    {
                        lock (gate) sessions.Remove(client);
                    }
                }, CancellationToken.None);
            }
        }
    }

    private async Task RefuseAsync(Socket client, string id)
    {
        using (client)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await client.SendAsync(SmtpReply.Of(421, $"4.7.0 {Options.Hostname} Error: too many connections; try again later").ToBytes(), SocketFlags.None, timeout.Token);
                Events.Emit(new LogLine(LogSeverity.Warning, $"{id} {client.RemoteEndPoint}: refused with 421, {Options.MaxSessions} sessions already open"));
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
            }
        }
    }

    protected override void CloseListener() => listener?.Dispose();

    protected override async Task OnStoppedAsync()
    {
        Task[] running;
        lock (gate) running = [.. sessions.Values];
        // Sessions see the stop token and say 421 before closing; give them a moment, then cut.
        var all = Task.WhenAll(running);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(3))) != all)
        {
            lock (gate)
                foreach (var socket in sessions.Keys)
                    socket.Dispose();
        }
        await all.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
