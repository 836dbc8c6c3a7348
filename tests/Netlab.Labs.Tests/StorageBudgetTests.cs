using System.Text;
using Microsoft.Extensions.Time.Testing;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;
using Netlab.Labs.Smtp;
using Netlab.Labs.Tests.Ftp;
using Netlab.Labs.Tests.Smtp;

namespace Netlab.Labs.Tests;

/// <summary>The portal-wide cap on what all lab servers keep on disk, over each server's own quota.</summary>
public sealed class StorageBudgetTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("netlab-budget-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Writes_count_at_once_and_the_folder_is_measured_again_after_the_interval()
    {
        var clock = new FakeTimeProvider();
        var onDisk = 100L;
        var measured = 0;
        var budget = new StorageBudget(1000, () => { measured++; return onDisk; }, clock);
        Assert.Equal(900, budget.Room());
        budget.Add(850);
        Assert.Equal(50, budget.Room());
        Assert.Equal(1, measured); // no walk of the folder per check
        onDisk = 2000; // someone else filled it
        budget.Add(-850);
        Assert.Equal(900, budget.Room());
        clock.Advance(StorageBudget.Remeasure);
        Assert.Equal(0, budget.Room());
        Assert.Equal(2, measured);
        onDisk = 0; // a mailbox emptied, retention removed a folder
        clock.Advance(StorageBudget.Remeasure);
        Assert.Equal(1000, budget.Room());
    }

    [Fact]
    public async Task Two_smtp_servers_share_the_budget_and_the_one_past_it_answers_452_insufficient_system_storage()
    {
        var budget = new StorageBudget(3000, () => ContentRoot.BytesUnder(folder));
        await using var a = await RunningSmtpServer.StartAsync(storageDirectory: Path.Combine(folder, "a"), storage: budget);
        await using var b = await RunningSmtpServer.StartAsync(storageDirectory: Path.Combine(folder, "b"), storage: budget);
        Assert.Equal(250, (await SendAsync(a, 1200)).Code);
        Assert.Equal(250, (await SendAsync(b, 1200)).Code);
        var refused = await SendAsync(a, 1200);
        Assert.Equal(452, refused.Code);
        Assert.Contains("Insufficient system storage", refused.Text);
        Assert.Equal(1, a.Server.Mailbox.Count);
        Assert.Equal(1, b.Server.Mailbox.Count);
        // Each mailbox alone has room (its own quota is 512 MB); with the budget used up, MAIL says so before any data is sent.
        await using var raw = await RawSmtp.ConnectAsync(b.EndPoint);
        await raw.CommandAsync("EHLO full");
        budget.Add(budget.Room()); // another server's upload takes the rest
        Assert.Equal(452, (await raw.CommandAsync("MAIL FROM:<a@netlab.test>")).Code);
    }

    [Fact]
    public async Task An_ftp_upload_past_the_budget_is_refused_with_452_and_leaves_nothing()
    {
        var budget = new StorageBudget(1000, () => 1000);
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions(), storage: budget);
        var scratch = Path.Combine(folder, "scratch");
        Directory.CreateDirectory(scratch);
        File.WriteAllText(Path.Combine(scratch, "up.txt"), "upload me\n");
        await using var shell = new FtpShell(scratch, new ListSink(), new FtpShellOptions { TimeoutMs = 10_000 });
        Assert.True((await shell.ExecuteAsync($"connect 127.0.0.1 {server.Port}", CancellationToken.None)).Ok);
        Assert.True((await shell.ExecuteAsync("cd upload", CancellationToken.None)).Ok);
        var put = await shell.ExecuteAsync("put up.txt", CancellationToken.None);
        Assert.False(put.Ok);
        Assert.Equal(452, put.ReplyCode);
        Assert.DoesNotContain(Directory.GetFiles(server.File("upload")), f => Path.GetFileName(f).Contains("up.txt"));
    }

    private static async Task<SmtpReply> SendAsync(RunningSmtpServer server, int bodyBytes)
    {
        await using var raw = await RawSmtp.ConnectAsync(server.EndPoint);
        Assert.Equal(250, (await raw.CommandAsync("EHLO budget")).Code);
        Assert.Equal(250, (await raw.CommandAsync("MAIL FROM:<a@netlab.test>")).Code);
        Assert.Equal(250, (await raw.CommandAsync("RCPT TO:<b@netlab.test>")).Code);
        Assert.Equal(354, (await raw.CommandAsync("DATA")).Code);
        var body = new StringBuilder("Subject: size\r\n\r\n");
        while (body.Length < bodyBytes)
            body.Append(new string('x', 70)).Append("\r\n");
        await raw.SendRawAsync(body + ".\r\n");
        return await raw.ReplyAsync();
    }
}
