using Netlab.Labs.Core;
using Netlab.Labs.Dns;
using Netlab.Labs.Ftp;
using Netlab.Labs.Heartbeat;
using Netlab.Labs.Http;
using Netlab.Labs.Icmp;
using Netlab.Labs.Smtp;
using Netlab.Labs.UdpPing;

namespace Netlab.Labs;

/// <summary>Every lab the portal offers. A new lab adds its folder and one entry here.</summary>
public static class LabCatalog
{
    public static IReadOnlyList<LabDefinition> All { get; } =
    [
        new LabDefinition(
            "udp-ping",
            "UDP Pinger",
            "A ping client over UDP against a server that simulates packet loss: RTTs, timeouts, loss and statistics.",
            "Handout 000, Socket Programming Assignment 2: UDP",
            new ServerKind("udp-ping", typeof(UdpPingServerOptions),
                (options, context) => new UdpPingServer((UdpPingServerOptions)options, context.EndPoint, context.Events)),
            [
                new ProbeKind("udp-ping", "Ping client", typeof(UdpPingProbeOptions),
                    (options, _) => new UdpPingProbe((UdpPingProbeOptions)options)),
            ]),
        new LabDefinition(
            "heartbeat",
            "UDP Heartbeat",
            "A client sends numbered, timestamped heartbeats; the server reports one-way delay, lost, duplicate and reordered heartbeats, and notices when a client stops and resumes.",
            "Handout 000, Assignment 2, optional exercise 2: UDP Heartbeat",
            new ServerKind("heartbeat", typeof(HeartbeatServerOptions),
                (options, context) => new HeartbeatServer((HeartbeatServerOptions)options, context.EndPoint, context.Events)),
            [
                new ProbeKind("heartbeat-client", "Heartbeat client", typeof(HeartbeatClientOptions),
                    (options, environment) => new HeartbeatClient((HeartbeatClientOptions)options, environment)),
            ]),
        new LabDefinition(
            "http",
            "Web Server",
            "A hand-written HTTP/1.1 server (GET, HEAD, 404, many clients at once), a client that shows the exchange like curl -v, and a grader for students' servers.",
            "Handout 000, Assignment 1: Web Server; handout 003, Web Server",
            new ServerKind("http", typeof(HttpServerOptions),
                (options, context) => new HttpServer((HttpServerOptions)options, context)),
            [
                new ProbeKind("http-get", "HTTP client", typeof(HttpProbeOptions),
                    (options, _) => new HttpProbe((HttpProbeOptions)options)),
                new ProbeKind("http-grade", "Grader", typeof(HttpGraderOptions),
                    (options, environment) => new HttpGrader((HttpGraderOptions)options, environment)),
            ]),
        new LabDefinition(
            "dns",
            "DNS",
            "An authoritative DNS server and client in RFC 1035 wire format: name compression, NXDOMAIN, TC and TCP, and every message as labelled hex.",
            "Handout 003: An Authoritative DNS Server and Client",
            new ServerKind("dns", typeof(DnsServerOptions),
                (options, context) => new DnsServer((DnsServerOptions)options, context)),
            [
                new ProbeKind("dns-query", "DNS client", typeof(DnsProbeOptions),
                    (options, _) => new DnsProbe((DnsProbeOptions)options)),
            ]),
        new LabDefinition(
            "smtp",
            "SMTP",
            "A mail client that speaks SMTP by hand (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, MIME with an image) and a mail server with a mailbox, session transcripts and fault injection.",
            "Handout 000, Assignment 3: SMTP (with its optional exercises: TLS, text and images)",
            new ServerKind("smtp", typeof(SmtpServerOptions),
                (options, context) => new SmtpServer((SmtpServerOptions)options, context)),
            [
                new ProbeKind("smtp-send", "Mail client", typeof(SmtpProbeOptions),
                    (options, environment) => new SmtpClientProbe((SmtpProbeOptions)options, environment)),
            ]),
        new LabDefinition(
            "ftp",
            "FTP",
            "An FTP server and the handout's client shell on plain sockets: control and data connections, active (PORT/EPRT) and passive (PASV/EPSV) mode, reply codes, and every line and transfer live.",
            "Handout 004: an FTP-like client and server",
            new ServerKind("ftp", typeof(FtpServerOptions),
                (options, context) => new FtpServer((FtpServerOptions)options, context)),
            [
                new ProbeKind("ftp-client", "FTP client", typeof(FtpClientProbeOptions),
                    (options, _) => new FtpClientProbe((FtpClientProbeOptions)options)),
            ]),
        new LabDefinition(
            "icmp",
            "ICMP Pinger",
            "Ping with ICMP echo on a raw socket: the checksum, identifier and sequence built by hand, replies and errors parsed out of the IP packet; and traceroute.",
            "Handout 000, Assignment 4: ICMP Pinger",
            null,
            [
                new ProbeKind("icmp-ping", "ICMP ping", typeof(IcmpPingOptions),
                    (options, _) => new IcmpPingProbe((IcmpPingOptions)options)) { UsesPort = false },
                new ProbeKind("traceroute", "Traceroute", typeof(TracerouteOptions),
                    (options, _) => new TracerouteProbe((TracerouteOptions)options)) { UsesPort = false },
            ]),
    ];

    public static LabDefinition? Find(string? id) => All.FirstOrDefault(l => string.Equals(l.Id, id, StringComparison.OrdinalIgnoreCase));

    public static IEnumerable<ProbeKind> AllProbes => All.SelectMany(l => l.Probes);

    /// <summary>A probe kind and the lab it belongs to.</summary>
    public static (LabDefinition Lab, ProbeKind Probe)? FindProbe(string? id) => All
        .SelectMany(l => l.Probes.Select(p => (Lab: l, Probe: p)))
        .Where(x => string.Equals(x.Probe.Id, id, StringComparison.OrdinalIgnoreCase))
        .Select(x => ((LabDefinition, ProbeKind)?)x)
        .FirstOrDefault();
}
