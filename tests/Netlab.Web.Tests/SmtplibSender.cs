using System.Diagnostics;

namespace Netlab.Web.Tests;

/// <summary>Python's smtplib as a real mail client (tests/peers/smtplib_sender.py): one session, the final reply to each DATA printed as it comes.</summary>
public sealed class SmtplibSender : IAsyncDisposable
{
    private readonly Process process;

    private SmtplibSender(Process process) => this.process = process;

    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <param name="count">Messages to send; 0 = until the server goes away.</param>
    /// <param name="file">Send this file's bytes as each message instead of a generated one.</param>
    public static SmtplibSender Start(int port, int count, string subject = "flood", string? file = null)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-u", Path.Combine(AppContext.BaseDirectory, "peers", "smtplib_sender.py"), "127.0.0.1", port.ToString(), count.ToString(), subject })
            info.ArgumentList.Add(arg);
        if (file is not null)
            info.ArgumentList.Add(file);
        return new SmtplibSender(Process.Start(info) ?? throw new InvalidOperationException("python3 did not start"));
    }

    /// <summary>Sends and returns the replies; fails the test if smtplib failed.</summary>
    public static async Task<List<string>> SendAsync(int port, int count, string subject = "flood", string? file = null)
    {
        await using var sender = Start(port, count, subject, file);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = await sender.process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = await sender.process.StandardError.ReadToEndAsync(timeout.Token);
        await sender.process.WaitForExitAsync(timeout.Token);
        Assert.True(sender.process.ExitCode == 0, output + error);
        return Lines(output);
    }

    /// <summary>The next reply line; null when the sender has ended.</summary>
    public Task<string?> ReadLineAsync() => process.StandardOutput.ReadLineAsync();

    /// <summary>Every reply line up to the sender's end.</summary>
    public async Task<List<string>> RestAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var rest = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return Lines(rest);
    }

    /// <summary>The id in "250 2.0.0 Ok: queued as &lt;id&gt;".</summary>
    public static string QueuedId(string reply) => reply[(reply.LastIndexOf(' ') + 1)..];

    private static List<string> Lines(string output) => [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
