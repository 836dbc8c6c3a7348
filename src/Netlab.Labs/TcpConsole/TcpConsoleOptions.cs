using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Echo;

namespace Netlab.Labs.TcpConsole;

/// <summary>How a console talks: line ending, limits and timeouts (the interactive console and the scripted run share them).</summary>
public record TcpConsoleSettings
{
    [Display(Name = "Line ending")]
    [Description("What ends each line sent: CRLF (telnet; SMTP, FTP and HTTP need it) or LF (nc).")]
    public LineEnding LineEnding { get; init; } = LineEnding.CrLf;

    [Display(Name = "Max line bytes", GroupName = "Advanced")]
    [Range(1, 65_536), Description("A line longer than this (in UTF-8 bytes) is refused, never sent.")]
    public int MaxLineBytes { get; init; } = 4_096;

    [Display(Name = "Idle timeout (ms)", GroupName = "Advanced")]
    [Range(100, 3_600_000), Description("The connection is closed after this long with nothing sent or received, in ms.")]
    public int IdleTimeoutMs { get; init; } = 300_000;

    [Display(Name = "Connect timeout (ms)", GroupName = "Advanced")]
    [Range(1, 60_000), Description("How long to wait for the connection, in ms.")]
    public int ConnectTimeoutMs { get; init; } = 5_000;

    [Display(Name = "Most bytes received", GroupName = "Advanced")]
    [Range(1024, 256 * 1024 * 1024), Description("The console hangs up once the server has sent more than this (a scripted run then fails): a server that streams forever cannot fill the store.")]
    public int MaxReceivedBytes { get; init; } = 16 * 1024 * 1024;

    [Display(Name = "Most lines received", GroupName = "Advanced")]
    [Range(1, 1_000_000), Description("The console hangs up once it has shown this many received lines or binary chunks (a scripted run then fails): each is an event, and a flood of empty lines is cheap to send.")]
    public int MaxReceivedLines { get; init; } = 10_000;
}

/// <summary>The scripted run: the lines to type, and how long to listen after each.</summary>
public sealed record TcpConsoleProbeOptions : TcpConsoleSettings
{
    [DataType(DataType.MultilineText), StringLength(65_536, MinimumLength = 1)]
    [Description("The lines to type, one per line (an empty line sends an empty line, as DATA bodies need).")]
    public string Lines { get; init; } = "HELO netlab.test\nQUIT";

    [Display(Name = "Quiet time (ms)", GroupName = "Advanced")]
    [Range(1, 60_000), Description("After the greeting and each line, the answer is taken as complete when nothing more arrives for this long.")]
    public int QuietMs { get; init; } = 300;

    [Display(Name = "Wait at most (ms)", GroupName = "Advanced")]
    [Range(1, 600_000), Description("Longest wait for the answer to one line, in ms, even if data keeps coming.")]
    public int WaitMs { get; init; } = 5_000;
}
