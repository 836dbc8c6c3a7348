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
public sealed class SmtpServer : TcpLabServer
{
    private readonly SmtpSessionContext context;
    private SmtpFault fault;
    private long sessionCount;

    /// <param name="time">The clock of the sessions' timeouts; the system's unless a test drives a fake one.</param>
    public SmtpServer(SmtpServerOptions options, ServerContext server, TimeProvider? time = null) : base("smtp", server.EndPoint, server.Events, 512, time ?? server.Time)
    {
        Options = options;
        fault = options.InitialFault();
        Mailbox = OpenMailbox(options, server.StorageDirectory, server.Environment.Storage);
        Certificate = options.StartTls ? SmtpCertificate.Load(options, server.Environment.DataDirectory) : null;
        context = new SmtpSessionContext(options, Mailbox, server.Events, Certificate, () => Volatile.Read(ref fault), time ?? server.Time);
    }

    public SmtpServerOptions Options { get; }

    /// <summary>The mailbox in the server's storage directory (kept across stops and restarts), else in memory.</summary>
    private static SmtpMailbox OpenMailbox(SmtpServerOptions options, string? directory, StorageBudget? shared)
    {
        var quota = new MailboxQuota(options.MailboxSize, options.MailboxBytes);
        if (directory is null)
            return SmtpMailbox.InMemory(quota);
        var path = MailboxDirectory(directory);
        try
        {
            return SmtpMailbox.OpenForServer(path, quota, shared);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LabException($"Cannot open the mailbox in {path}: {e.Message}");
        }
    }

    /// <summary>Where a server with this storage directory keeps its mailbox, for reading it without the server.</summary>
    public static string MailboxDirectory(string storageDirectory) => Path.Combine(storageDirectory, "mailbox");

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

    protected override int MaxSessions => Options.MaxSessions;

    // Sessions see the stop token and say 421 before closing (RFC 5321 section 3.8); give them a moment.
    protected override TimeSpan StopGrace => TimeSpan.FromSeconds(3);

    protected override string Listening(EndPoint local) => $"SMTP server on {local} as {Options.Hostname}"
        + (Certificate is null ? ", no TLS" : $", STARTTLS with {Certificate.Subject} (SHA-256 {Certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)[..16]}…)");

    protected override Task ServeSessionAsync(Socket client, string name, CancellationToken stopping) =>
        new SmtpSession(client, NextSessionId(), context, stopping).RunAsync();

    protected override async Task RefuseAsync(Socket client, string name, CancellationToken cancellationToken)
    {
        await client.SendAsync(SmtpReply.Of(421, $"4.7.0 {Options.Hostname} Error: too many connections; try again later").ToBytes(), SocketFlags.None, cancellationToken);
        Events.Emit(new LogLine(LogSeverity.Warning, $"{NextSessionId()} {name}: refused with 421, {Options.MaxSessions} sessions already open"));
    }

    private string NextSessionId() => $"s{Interlocked.Increment(ref sessionCount)}";
}
