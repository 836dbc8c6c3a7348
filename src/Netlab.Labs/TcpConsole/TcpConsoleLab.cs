using Netlab.Labs.Core;

namespace Netlab.Labs.TcpConsole;

/// <summary>The tcp-console lab: no server of its own; a telnet-like console (interactive on the page, scripted as a run).</summary>
public static class TcpConsoleLab
{
    public static LabDefinition Definition { get; } = new LabDefinition(
        "tcp-console",
        "TCP Console",
        "Talk by hand to any allowed TCP server (the portal's SMTP, FTP, web or time servers, or your own): lines with CRLF or LF, a timestamped transcript, binary in hex.",
        "Handout 001 (telnet to a mail server), handout 002 (a simple TCP client)",
        null,
        [
            new ProbeKind("tcp-console", "Console script", typeof(TcpConsoleProbeOptions),
                (options, environment) => new TcpConsoleProbe((TcpConsoleProbeOptions)options, environment.Time)),
        ])
    {
        // The JSON "kind" of each event is stored with every run: never rename one.
        Events =
        [
            EventKind.Of<ConsoleClosed>("consoleClosed"),
        ],
    };
}
