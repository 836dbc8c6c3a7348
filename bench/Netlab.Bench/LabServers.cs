using Netlab.Labs.Core;
using Netlab.Labs.Dns;
using Netlab.Labs.Echo;
using Netlab.Labs.Ftp;
using Netlab.Labs.Http;
using Netlab.Labs.Smtp;
using Netlab.Labs.UdpPing;

namespace Netlab.Bench;

/// <summary>The lab servers the benchmarks measure, with default options, and what their events count.</summary>
public static class LabServers
{
    /// <summary>The UDP ping server with no loss.</summary>
    public static Task<HostedServer> StartPingAsync() => HostedServer.StartAsync(
        context => new UdpPingServer(new UdpPingServerOptions { LossRate = 0 }, context.EndPoint, context.Events),
        classify: e => e is DatagramSeen d ? (d.Action.ToString(), null) : (null, null),
        countsLabel: "datagrams");

    /// <summary>The TCP echo server (as is, no greeting, one write per recv), counting messages echoed.</summary>
    public static Task<HostedServer> StartEchoAsync() => HostedServer.StartAsync(
        context => new EchoTcpServer(new EchoServerOptions(), context),
        classify: e => e is EchoSeen ? ("echoed", null) : (null, null),
        countsLabel: "recv()s");

    /// <summary>The web server over contentRoot, counting responses by status.</summary>
    public static Task<HostedServer> StartHttpAsync(string contentRoot) => HostedServer.StartAsync(
        context => new HttpServer(new HttpServerOptions(), context), contentRoot,
        e => e is AccessLogEntry access ? (access.Status.ToString(System.Globalization.CultureInfo.InvariantCulture), null) : (null, null),
        "responses by status");

    /// <summary>The DNS server answering from zone (relative to contentRoot), counting queries by transport and response code.</summary>
    public static Task<HostedServer> StartDnsAsync(string contentRoot, string zone) => HostedServer.StartAsync(
        context => new DnsServer(new DnsServerOptions { Zone = zone }, context), contentRoot,
        e => e is DnsQueryLogged q
            ? ($"{q.Transport} {q.ResponseCode}", q.Error is { } error ? $"query error ({q.Transport} {q.ResponseCode}): {error}" : null)
            : (null, null),
        "queries logged");

    /// <summary>The FTP server with contentRoot itself as its root, counting data connections by direction and outcome.</summary>
    public static Task<HostedServer> StartFtpAsync(string contentRoot) => HostedServer.StartAsync(
        context => new FtpServer(new FtpServerOptions { Root = "." }, context), contentRoot,
        e => e is FtpTransfer t
            ? ($"{t.Mode} {t.Direction} {(t.Completed ? "completed" : "failed")}", t.Completed ? null : $"transfer failed: {t.Error}")
            : (null, null),
        "data connections");

    /// <summary>
    /// The SMTP server without STARTTLS (the reference sinks and smtp-source speak plain SMTP) and with
    /// the largest mailbox (in memory: the bench gives no storage directory), counting sessions by outcome.
    /// The count of accepted messages comes from the mailbox's Changed event (only Store fires it here:
    /// nothing deletes or clears), reported at the end as "mailbox: N accepted, ..." for the script to check.
    /// </summary>
    public static Task<HostedServer> StartSmtpAsync(string contentRoot)
    {
        SmtpServer? smtp = null;
        long accepted = 0;
        return HostedServer.StartAsync(
            context =>
            {
                smtp = new SmtpServer(new SmtpServerOptions { StartTls = false, MailboxSize = 10_000 }, context);
                smtp.Mailbox.Changed += () => Interlocked.Increment(ref accepted);
                return smtp;
            },
            contentRoot,
            e => e is SmtpSessionClosed closed
                ? (closed.Outcome, closed.Warnings.Count > 0 ? $"session warning: {string.Join("; ", closed.Warnings)}" : null)
                : (null, null),
            "sessions by outcome",
            () =>
            {
                var kept = smtp!.Mailbox.List();
                return [string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"mailbox: {Interlocked.Read(ref accepted)} accepted, {kept.Count} kept ({kept.Sum(m => m.Size):N0} bytes; it holds {smtp.Options.MailboxSize:N0} messages and {smtp.Options.MailboxBytes:N0} bytes, then answers 452)")];
            });
    }
}
