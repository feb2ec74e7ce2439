// A GTK 3 window on torsion: GTK's own main loop (gtk_main) drives the
// reactor (core/glib_reactor.h, Twisted's gireactor). A LoopingCall counts
// "tick N" in one label; the button sends "ping N" over TCP to an echo
// server and shows the reply in a second label, or why it failed. Closing
// the window stops the reactor, whose shutdown ends gtk_main.
//
// Usage: gtk_echo [--port N]
//   --port N  the echo server's port on 127.0.0.1 (default 8000;
//             examples/echo_server)
// Every label change is printed to stdout as "NAME: TEXT", and once the
// window is shown "button at X,Y" (its centre, window coordinates), so a
// test driving the window through X can find the button and check the
// labels (examples/gtk_echo_test.sh).
#include <gtk/gtk.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/glib_reactor.h"
#include "core/reactor.h"
#include "examples/example_main.h"
#include "net/protocol.h"
#include "net/tcp.h"
#include "task/looping_call.h"

namespace {

using namespace std::chrono_literals;

struct Window {
  GtkWidget* window = nullptr;
  GtkWidget* tick = nullptr;
  GtkWidget* reply = nullptr;
  GtkWidget* button = nullptr;

  // Sets a label and prints the change, flushed: stdout is a pipe under test.
  void show(GtkWidget* label, const char* name, const std::string& text) const {
    gtk_label_set_text(GTK_LABEL(label), text.c_str());
    std::printf("%s: %s\n", name, text.c_str());
    std::fflush(stdout);
  }
};

// One exchange: sends the line, shows the echoed line, hangs up.
class Ping : public torsion::net::Protocol {
 public:
  Ping(const Window& ui, std::string line) : ui_(ui), line_(std::move(line)) {}
  void connectionMade() override { transport()->write(line_ + "\n"); }
  void dataReceived(std::string_view data) override {
    received_.append(data);
    // TCP may split the echo: wait for the whole line.
    std::string::size_type end = received_.find('\n');
    if (end == std::string::npos) return;
    ui_.show(ui_.reply, "reply", "echoed: " + received_.substr(0, end));
    transport()->loseConnection();
  }

 private:
  const Window& ui_;
  std::string line_;
  std::string received_;
};

class PingFactory : public torsion::net::ClientFactory {
 public:
  PingFactory(const Window& ui, std::string line) : ui_(ui), line_(std::move(line)) {}
  std::shared_ptr<torsion::net::Protocol> buildProtocol(
      const torsion::net::Address&) override {
    return std::make_shared<Ping>(ui_, line_);
  }
  // Shown in the window: a refused or timed-out connection is something
  // the user can fix (start the server), not a reason to crash.
  void clientConnectionFailed(torsion::net::Connector*,
                              const torsion::Failure& why) override {
    ui_.show(ui_.reply, "reply", "error: " + why.getErrorMessage());
  }

 private:
  const Window& ui_;
  std::string line_;
};

struct App {
  torsion::Reactor& reactor;
  Window ui;
  std::uint16_t port = 8000;
  int pings = 0;
};

void buildWindow(App& app) {
  Window& ui = app.ui;
  ui.window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_title(GTK_WINDOW(ui.window), "torsion gtk echo");
  gtk_window_set_default_size(GTK_WINDOW(ui.window), 320, 160);
  GtkWidget* box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
  gtk_container_set_border_width(GTK_CONTAINER(box), 12);
  ui.tick = gtk_label_new("tick 0");
  ui.button = gtk_button_new_with_label("Send ping");
  ui.reply = gtk_label_new("no reply yet");
  // Errors can be long: wrap them rather than widen the window.
  gtk_label_set_line_wrap(GTK_LABEL(ui.reply), TRUE);
  gtk_label_set_max_width_chars(GTK_LABEL(ui.reply), 40);
  gtk_box_pack_start(GTK_BOX(box), ui.tick, FALSE, FALSE, 0);
  gtk_box_pack_start(GTK_BOX(box), ui.button, TRUE, TRUE, 0);
  gtk_box_pack_start(GTK_BOX(box), ui.reply, FALSE, FALSE, 0);
  gtk_container_add(GTK_CONTAINER(ui.window), box);

  g_signal_connect(ui.button, "clicked", G_CALLBACK(+[](GtkButton*, gpointer p) {
                     App& a = *static_cast<App*>(p);
                     std::string line = "ping " + std::to_string(++a.pings);
                     a.ui.show(a.ui.reply, "reply", "sending " + line);
                     torsion::net::connectTCP(a.reactor, "127.0.0.1", a.port,
                                              std::make_shared<PingFactory>(a.ui, line),
                                              {.timeout = torsion::Seconds(5)});
                   }),
                   &app);
  // Closing the window (the window manager's close, or Ctrl+W) stops the
  // reactor; its shutdown, not this handler, ends gtk_main.
  g_signal_connect(ui.window, "destroy", G_CALLBACK(+[](GtkWidget*, gpointer p) {
                     static_cast<App*>(p)->reactor.stop();
                   }),
                   &app);
  GtkAccelGroup* keys = gtk_accel_group_new();
  gtk_accel_group_connect(
      keys, GDK_KEY_w, GDK_CONTROL_MASK, GtkAccelFlags(0),
      g_cclosure_new_swap(G_CALLBACK(gtk_window_close), ui.window, nullptr));
  gtk_window_add_accel_group(GTK_WINDOW(ui.window), keys);
  // Where the button is, once laid out and on screen.
  g_signal_connect(ui.window, "map-event",
                   G_CALLBACK(+[](GtkWidget*, GdkEvent*, gpointer p) -> gboolean {
                     GtkAllocation a;
                     gtk_widget_get_allocation(static_cast<GtkWidget*>(p), &a);
                     std::printf("button at %d,%d\n", a.x + a.width / 2,
                                 a.y + a.height / 2);
                     std::fflush(stdout);
                     return FALSE;
                   }),
                   ui.button);
  gtk_widget_show_all(ui.window);
}

}  // namespace

int main(int argc, char** argv) {
  if (!gtk_init_check(&argc, &argv)) {
    std::cerr << "gtk_echo: cannot open a display (is DISPLAY set?)\n";
    return 1;
  }
  absl::StatusOr<std::unique_ptr<torsion::Reactor>> reactor =
      torsion::createGlibReactor();
  if (!reactor.ok()) {
    std::cerr << "gtk_echo: cannot create a reactor: " << reactor.status() << "\n";
    return 1;
  }
  long port = 8000;
  if (!torsion::examples::parseOptions(
          argc, argv, "usage: gtk_echo [--port N]",
          {torsion::examples::numberOption("--port", 1, 65535, port)})) {
    return 2;
  }
  App app{.reactor = **reactor, .ui = {}, .port = static_cast<std::uint16_t>(port)};
  buildWindow(app);

  int ticks = 0;
  torsion::task::LoopingCall ticker(app.reactor, [&] {
    app.ui.show(app.ui.tick, "tick", "tick " + std::to_string(++ticks));
  });
  ticker.start(0.5s);
  app.reactor.addSystemEventTrigger(torsion::Phase::kBefore, "shutdown", [&] {
    if (ticker.running()) ticker.stop();
  });
  app.reactor.addSystemEventTrigger(torsion::Phase::kAfter, "shutdown",
                                    [] { gtk_main_quit(); });
  app.reactor.startRunning();
  gtk_main();
  std::printf("closed after %d tick(s)\n", ticks);
  return 0;
}
