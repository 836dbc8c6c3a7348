using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>The ftp lab as the portal offers it: its server, probes and own events.</summary>
public static class FtpLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "ftp",
        "FTP",
        "An FTP server and the handout's client shell on plain sockets: control and data connections, active (PORT/EPRT) and passive (PASV/EPSV) mode, reply codes, and every line and transfer live.",
        "Handout 004: an FTP-like client and server",
        new ServerKind("ftp", typeof(FtpServerOptions),
            (options, context) => new FtpServer((FtpServerOptions)options, context)),
        [
            new ProbeKind("ftp-client", "FTP client", typeof(FtpClientProbeOptions),
                (options, _) => new FtpClientProbe((FtpClientProbeOptions)options)),
            new ProbeKind("ftp-grade", "Server grader", typeof(FtpServerGraderOptions),
                (options, environment) => new FtpServerGrader((FtpServerGraderOptions)options, environment)),
            new ProbeKind("ftp-client-grade", "Client grader", typeof(FtpClientGraderOptions),
                (options, environment) => new FtpClientGrader((FtpClientGraderOptions)options, environment)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<FtpTransfer>("ftpTransfer"),
        ],
    };
}
