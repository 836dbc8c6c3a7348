using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Netlab.Labs.Core;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The SMTP lab as a student sees it: start the server, send mail with an image, read it in the mailbox.</summary>
public class SmtpLabPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Send_a_message_with_an_uploaded_image_watch_the_dialogue_and_see_the_image_in_the_mailbox()
    {
        await OpenLabAsync("smtp");
        await StartServerAsync();
        await Expect(Page.GetByTestId("mailbox")).ToContainTextAsync("No mail yet");

        await Page.GetByTestId("probe-subject").FillAsync("Lab 3 screenshot");
        await Page.GetByTestId("probe-startTls").ClickAsync();
        var image = Path.Combine(Fixture.Portal.Services.GetRequiredService<LabEnvironment>().ContentRoot, "images", "netlab.png");
        var upload = Page.GetByTestId("probe-attachmentUpload");
        await upload.SetInputFilesAsync(image);
        // The form names the file once it has read it; Run waits for that.
        await Expect(Page.GetByTestId("probe-attachmentUpload-file")).ToContainTextAsync("netlab.png");
        await Expect(Page.GetByTestId("probe-run")).ToBeEnabledAsync();
        await Page.GetByTestId("probe-run").ClickAsync();

        // The dialogue streams in swaks style, the TLS part with ~> and <~.
        var transcript = Page.GetByTestId("run-events").GetByTestId("transcript");
        await Expect(transcript).ToContainTextAsync(" -> STARTTLS");
        await Expect(transcript).ToContainTextAsync(" ~> MAIL FROM:<student@netlab.test>");
        await Expect(transcript).ToContainTextAsync("<~  221");
        await Expect(Page.GetByTestId("run-summary")).ToContainTextAsync("Message accepted: 250");

        // The server's side: the session and the message, without reloading.
        await Expect(Page.GetByTestId("smtp-session-outcome").First).ToHaveTextAsync("completed");
        var row = Page.GetByTestId("mailbox-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("Lab 3 screenshot");
        await row.ClickAsync();
        await Expect(Page.GetByTestId("mail-subject")).ToHaveTextAsync("Lab 3 screenshot");
        await Expect(Page.GetByTestId("mail-text")).ToContainTextAsync("I love computer networks!");
        await Page.GetByRole(AriaRole.Tab, new() { Name = "Attachments (1)" }).ClickAsync();
        var img = Page.GetByTestId("mail-image");
        await Expect(img).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("mail-attachment-link")).ToContainTextAsync("netlab.png (image/png");
        // The image really loaded (decoded from the base64 part), not a broken icon.
        await Expect(img).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await img.EvaluateAsync<int>("i => i.naturalWidth") > 0);
    }

    [Fact]
    public async Task Fault_injection_from_the_page_makes_the_client_report_the_stage_and_code()
    {
        await OpenLabAsync("smtp");
        await StartServerAsync();

        await Page.GetByTestId("fault-stage").ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = "Mail", Exact = true }).ClickAsync();
        await SetAsync(Field("fault-code"), "451");
        await Page.GetByTestId("fault-apply").ClickAsync();
        await Expect(Page.GetByTestId("fault-current")).ToContainTextAsync("Mail answers 451");

        await Page.GetByTestId("probe-run").ClickAsync();
        await Expect(Page.GetByTestId("run-error")).ToContainTextAsync("MAIL FROM: expected 250, the server answered 451");
        await Expect(Page.GetByTestId("run-summary")).ToContainTextAsync("Failed at MAIL FROM");
    }
}
