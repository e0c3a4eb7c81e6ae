# Makefile - build, test, install bounce-milter and bounce-decode
#
# Targets: all (default), check, run, demo, bench, soak, fuzz, faults, install,
# clean.
# Variables: BUILD (build directory, default build), CC, CFLAGS, PREFIX,
# DESTDIR, SANITIZE=1 (ASan+UBSan), FUZZ_SECONDS.
#
# Sources: milter/*.c is the classifier library (libbounce.a) except the
# program mains (main_*.c) and the daemon's own modules (milter_*.c).
# tests/unit/test_*.c are cmocka programs, each linked with the library.

BUILD	?= build
CC	?= cc
PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
DATADIR	?= $(PREFIX)/share/bounce-milter
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
CFLAGS	?= -O2 -g
VERSION	:= 0.1.0

STD	= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	  -Wformat=2 -Wno-format-nonliteral -Wstrict-prototypes -Wmissing-prototypes
DEFS	= -DBM_VERSION=\"$(VERSION)\" -DBM_DATADIR=\"$(DATADIR)\" \
	  -DBM_SYSCONFDIR=\"$(SYSCONFDIR)\"
PKGS	= libpcre2-8 libconfig opendkim libidn2
# read when this make starts: a target that runs mk/deps builds in a
# second make, which reads them again once the packages are there
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpcre2-8 -lconfig -lopendkim -lidn2)
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

ALL_CFLAGS = $(STD) $(DEFS) -Imilter $(PKG_CFLAGS) $(CFLAGS)

LIB_SRCS  := $(filter-out milter/main_%.c milter/milter_%.c,$(wildcard milter/*.c))
LIB_OBJS  := $(LIB_SRCS:milter/%.c=$(BUILD)/obj/%.o)
MLT_SRCS  := $(wildcard milter/milter_*.c)
MLT_OBJS  := $(MLT_SRCS:milter/%.c=$(BUILD)/obj/%.o)
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
LIB	  := $(BUILD)/libbounce.a

PROGS	= $(BUILD)/bounce-decode $(BUILD)/bounce-milter

.PHONY: all deps check run demo bench soak fuzz faults install clean tests

all: $(PROGS)

deps:
	@sh mk/deps

$(BUILD)/obj/%.o: milter/%.c milter/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bounce-decode: $(BUILD)/obj/main_decode.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(URING_LIBS)

$(BUILD)/obj/main_decode.o: milter/main_decode.c milter/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(URING_DEFS) -c -o $@ $<

$(BUILD)/bounce-milter: $(BUILD)/obj/main_milter.o $(MLT_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lmilter $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) milter/*.h tests/unit/*.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) -lcmocka $(LIBS)

tests: $(PROGS) $(TEST_BINS)

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
	install -d $(DESTDIR)$(SYSCONFDIR)/bounce-milter
	install -m 644 conf/bounce-milter.conf $(DESTDIR)$(SYSCONFDIR)/bounce-milter/bounce-milter.conf.sample
	for s in 1 5 8; do for f in man/*.$$s; do [ -f "$$f" ] || continue; \
	  install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 644 $$f $(DESTDIR)$(MANDIR)/man$$s/; done; done

clean:
	rm -rf $(BUILD)
