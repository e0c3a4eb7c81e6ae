# Makefile - build, test, install bounce-milter and bounce-decode
#
# Targets: all (default), check, run, demo, bench, soak, fuzz, faults, man,
# install, install-systemd, deb, deb-check, fresh-check, clean.
# Variables: BUILD (build directory, default build), CC, CFLAGS, PREFIX,
# DESTDIR, UNITDIR, SANITIZE=1 (ASan+UBSan), FUZZ_SECONDS.
# bounce-milter-causes(7) is made from rules/causes.rules (mk/causes-man).
#
# Sources: milter/ holds one folder a layer, each built into its own
# archive, and each may use only the layers before it in LAYERS:
#   util      arena, buf, utf8, charset, json, litscan, config, rulefile,
#             timefmt
#   decode    the MIME walk, the report records, the format families
#   classify  status, reason, cause, classify, rules, the bounce pipeline
#   evidence  the DNS client, SPF, DKIM, MX, preflight
#   history   the stores, reports, trends
#   daemon    the libmilter callbacks and the daemon's own modules
#   cli       bounce-decode's main
# bounce-decode links util..history; bounce-milter links daemon as well.
# tests/unit/test_*.c are cmocka programs, each linked with every layer.
# tests/source/t_layers.sh checks the layering from the objects' symbols.

BUILD	?= build
CC	?= cc
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
DATADIR	?= $(PREFIX)/share/bounce-milter
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
CFLAGS	?= -O2 -g
VERSION	:= 0.1.0

STD	= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	  -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
DEFS	= -DBM_VERSION=\"$(VERSION)\" -DBM_DATADIR=\"$(DATADIR)\" \
	  -DBM_SYSCONFDIR=\"$(SYSCONFDIR)\"
PKGS	= libpcre2-8 libconfig opendkim libidn2 libpq libpsl
# read when this make starts: a target that runs mk/deps builds in a
# second make, which reads them again once the packages are there
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpcre2-8 -lconfig -lopendkim -lidn2 -lpq -lpsl)
LIBS	= $(PKG_LIBS) -lspf2 -lsqlite3 -lresolv -lpthread -lm
# bounce-decode reads a directory's files a batch at a time through
# io_uring when liburing is there (mk/deps installs it), else one by one
URING_LIBS = $(shell pkg-config --libs liburing 2>/dev/null)
URING_DEFS = $(if $(URING_LIBS),-DHAVE_LIBURING)

ifeq ($(SANITIZE),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif

LAYERS	= util decode classify evidence history daemon cli
LIBLAYERS = util decode classify evidence history
INCS	= $(LAYERS:%=-Imilter/%)
HDRS	= $(wildcard milter/*/*.h)
ALL_CFLAGS = $(STD) $(DEFS) $(INCS) $(PKG_CFLAGS) $(CFLAGS)

# the objects of layer L; the archive of layer L: $(BUILD)/lib/libbm-L.a
layer_objs = $(patsubst milter/$(1)/%.c,$(BUILD)/obj/$(1)/%.o,$(wildcard milter/$(1)/*.c))
LIBS_CORE := $(foreach l,history evidence classify decode util,$(BUILD)/lib/libbm-$(l).a)
LIB_DAEMON := $(BUILD)/lib/libbm-daemon.a
DAEMON_OBJS := $(filter-out %/main_milter.o,$(call layer_objs,daemon))
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

PROGS	= $(BUILD)/bounce-decode $(BUILD)/bounce-milter
MAN_GEN	= $(BUILD)/man/bounce-milter-causes.7

.PHONY: all libs deps check run demo bench soak fuzz faults install clean tests \
	man install-systemd deb deb-check fresh-check

all: $(PROGS) $(MAN_GEN)

# the causes page, made from the rules so the two never drift apart;
# mk/causes-man fails on a cause without a meaning or a hint
man: $(MAN_GEN)

$(MAN_GEN): rules/causes.rules mk/causes-man
	@mkdir -p $(dir $@)
	python3 mk/causes-man -V $(VERSION) -D $(DATADIR) rules/causes.rules >$@.tmp
	@mv $@.tmp $@

deps:
	@sh mk/deps

$(BUILD)/obj/%.o: milter/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(foreach l,$(LIBLAYERS),$(eval $(BUILD)/lib/libbm-$(l).a: $(call layer_objs,$(l))))
$(LIB_DAEMON): $(DAEMON_OBJS)

$(BUILD)/lib/libbm-%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

libs: $(LIBS_CORE) $(LIB_DAEMON)

$(BUILD)/bounce-decode: $(call layer_objs,cli) $(LIBS_CORE)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(URING_LIBS)

$(BUILD)/obj/cli/main_decode.o: milter/cli/main_decode.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(URING_DEFS) -c -o $@ $<

$(BUILD)/bounce-milter: $(BUILD)/obj/daemon/main_milter.o $(LIB_DAEMON) $(LIBS_CORE)
	$(CC) $(LDFLAGS) -o $@ $^ -lmilter $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_DAEMON) $(LIBS_CORE) $(HDRS) tests/unit/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_DAEMON) $(LIBS_CORE) $(LDFLAGS) -lcmocka $(LIBS)

tests: $(PROGS) $(MAN_GEN) $(TEST_BINS)

check: deps
	@$(MAKE) --no-print-directory -j2 tests
	@BUILD=$(BUILD) sh tests/run

# Every target that installs packages first builds in a second make: this
# make read the pkg-config flags before mk/deps could install the -dev
# packages they come from, so only a fresh make sees them.
run: deps
	@$(MAKE) --no-print-directory all
	@sh mk/run $(BUILD)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run $(BUILD)

soak: deps
	@$(MAKE) --no-print-directory all
	@sh bench/soak $(BUILD)

fuzz: deps
	@sh fuzz/run $(or $(FUZZ_SECONDS),60)

faults: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh tests/fault/run

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/rules
	install -m 755 $(BUILD)/bounce-milter $(DESTDIR)$(SBINDIR)/bounce-milter
	install -m 755 $(BUILD)/bounce-decode $(DESTDIR)$(BINDIR)/bounce-decode
	cp -R rules/. $(DESTDIR)$(DATADIR)/rules/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)/rules
	install -d $(DESTDIR)$(SYSCONFDIR)/bounce-milter
	install -m 644 conf/bounce-milter.conf $(DESTDIR)$(SYSCONFDIR)/bounce-milter/bounce-milter.conf.sample
	for f in man/*.[1-8] $(MAN_GEN); do s=$${f##*.}; \
	  install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 644 $$f $(DESTDIR)$(MANDIR)/man$$s/; done

# the unit (its paths made PREFIX's), the sysusers.d and tmpfiles.d files
install-systemd:
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	sed 's,/usr/local/sbin/,$(SBINDIR)/,g' systemd/bounce-milter.service \
	  >$(DESTDIR)$(UNITDIR)/bounce-milter.service
	chmod 644 $(DESTDIR)$(UNITDIR)/bounce-milter.service
	install -m 644 systemd/bounce-milter.sysusers $(DESTDIR)$(SYSUSERSDIR)/bounce-milter.conf
	install -m 644 systemd/bounce-milter.tmpfiles $(DESTDIR)$(TMPFILESDIR)/bounce-milter.conf

# the Debian package (debian/), built in BUILD/deb from a clean copy:
# bounce-milter_VERSION_ARCH.deb is copied to BUILD; lintian must not
# report an error
deb:
	@sh mk/deb $(BUILD)

# build the package, check its files, install, verify, remove and purge
# it in a Debian 12 tree (needs root; minutes: not part of check)
deb-check:
	@sh mk/deb-check $(BUILD)

# the README's first steps on a bare Debian 12 tree: make run, make check
# (needs root; slow: not part of check)
fresh-check:
	@sh mk/fresh-check $(BUILD)

clean:
	rm -rf $(BUILD)
