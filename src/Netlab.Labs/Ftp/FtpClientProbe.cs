using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

public sealed record FtpClientProbeOptions
{
    [Display(Name = "Commands")]
    [DataType(DataType.MultilineText)]
    [Required, StringLength(10_000), Description("Shell commands to run after connecting, one per line (cd, pwd, lcd, ls, get, put, system, passive, bye).")]
    public string Commands { get; init; } = "system\npwd\nls\nget readme.txt\ncd pub\nls";

    [Display(Name = "Passive mode")]
    [Description("Use passive mode (PASV/EPSV) instead of active (PORT/EPRT, the handout's default).")]
    public bool Passive { get; init; }

    [Display(Name = "Handout 004 server")]
    [Description("The target was written from handout 004's class exercise: free-text statuses (\"connected\", \"OK\"), PORT with a bare port, no login, a file's size on the control connection. Active mode only.")]
    public bool Handout { get; init; }

    [Required, StringLength(100), Description("The user to log in as.")]
    public string User { get; init; } = "anonymous";

    [StringLength(200), DataType(DataType.Password), Description("The password (any for anonymous); never stored.")]
    public string Password { get; init; } = "netlab@";

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(100, 120_000), Description("How long each reply, connection or stalled transfer may take, in ms.")]
    public int TimeoutMs { get; init; } = 10_000;

    [Display(Name = "Largest listing (bytes)", GroupName = "Advanced")]
    [Range(1024, 64 * 1024 * 1024), Description("A directory listing longer than this ends the run as Failed: a hostile server cannot flood the portal.")]
    public int MaxListingBytes { get; init; } = 1024 * 1024;

    [Display(Name = "Largest download (bytes)", GroupName = "Advanced")]
    [Range(1024, 1024 * 1024 * 1024), Description("A get bigger than this is stopped and its partial file deleted.")]
    public int MaxDownloadBytes { get; init; } = 64 * 1024 * 1024;
}

/// <summary>
/// Runs a script of the handout's shell commands against a server: connect to the target and
/// log in, then each line in turn (a failed command is reported and the script goes on), then
/// bye. Downloads land in a scratch folder made for the run and deleted after, unless one is given.
/// </summary>
public sealed class FtpClientProbe(FtpClientProbeOptions options, string? scratchRoot = null) : IProbe
{
    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var scratch = scratchRoot ?? Directory.CreateTempSubdirectory("netlab-ftp-").FullName;
        var output = new List<string>();
        int commands = 0, failed = 0;
        try
        {
            // The script may connect again, but only to the target the portal allowed.
            await using var shell = new FtpShell(scratch, events, new FtpShellOptions
            {
                TimeoutMs = options.TimeoutMs,
                Passive = options.Passive && !options.Handout,
                Handout = options.Handout,
                User = options.User,
                Password = options.Password,
                AllowAddress = a => a.Equals(target.Address),
                MaxListingBytes = options.MaxListingBytes,
                MaxDownloadBytes = options.MaxDownloadBytes,
            });
            async Task<FtpShellResult> Run(string shown, Func<Task<FtpShellResult>> command)
            {
                commands++;
                output.Add($"ftp> {shown}");
                events.Emit(new LogLine(LogSeverity.Info, $"ftp> {shown}"));
                var result = await command();
                if (!result.Ok)
                    failed++;
                foreach (var line in result.Lines)
                {
                    output.Add(line);
                    events.Emit(new LogLine(result.Ok ? LogSeverity.Info : LogSeverity.Warning, line));
                }
                return result;
            }

            var connected = await Run($"connect {target.Address} {target.Port}", () => shell.ConnectAsync(target.Address.ToString(), target.Port, options.User, options.Password, cancellationToken));
            if (!connected.Ok)
                throw new LabException($"Cannot connect and log in to {target}: {connected.Text}");
            foreach (var line in options.Commands.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Run(line, () => shell.ExecuteAsync(line, cancellationToken));
            }
            if (shell.Connected)
                await Run("bye", () => shell.ExecuteAsync("bye", cancellationToken));
            events.Emit(new Summary(output, new Dictionary<string, double?>
            {
                ["commands"] = commands,
                ["failed"] = failed,
                ["bytesDown"] = shell.BytesDownloaded,
                ["bytesUp"] = shell.BytesUploaded,
            }));
            // A script is a test of the server: a command it refused makes the run fail, with the summary kept.
            if (failed > 0)
                throw new LabException($"{failed} of {commands} commands failed (see the replies above).");
        }
        finally
        {
            if (scratchRoot is null)
                Directory.Delete(scratch, recursive: true);
        }
    }
}
