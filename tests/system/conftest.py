# SPDX-License-Identifier: BSD-3-Clause
"""pytest fixtures for the nfvd system tests; helpers live in nfvlib.py.

Fixtures
    need_nfvd       skip the test when build/nfvd is not built or we are not root
    nfvd_factory    make(conf, **kw) -> started nfvlib.Nfvd in the test's tmp dir;
                    make(conf, start=False, **kw) returns it unstarted. Every
                    instance is stopped and its hugepage/runtime files removed
                    at the end of the test, whatever happened.
    ns_factory      make(suffix) -> name of a new network namespace
                    "<tag><suffix>"; all are deleted at the end of the test.
    tag             a short per-test tag (e.g. "t3a"), for interface names
"""
import contextlib
import itertools
import os

import pytest

import nfvlib

_tags = itertools.count()


@pytest.fixture
def need_nfvd():
    if os.geteuid() != 0:
        pytest.skip("system tests need root")
    if not os.access(nfvlib.NFVD, os.X_OK):
        pytest.skip("nfvd not built: " + nfvlib.NFVD)


@pytest.fixture
def tag():
    # pid keeps two concurrent pytest runs apart; <= 7 chars leaves room
    # for a suffix within IFNAMSIZ.
    return "n%x%x" % (os.getpid() % 0xfff, next(_tags))


@pytest.fixture
def nfvd_factory(need_nfvd, tmp_path):
    made = []

    def make(conf, start=True, **kw):
        d = nfvlib.Nfvd(conf, tmp_path, name=kw.pop("name", "nfvd%d" % len(made)), **kw)
        made.append(d)
        return d.start() if start else d

    yield make
    for d in made:
        d.stop()


@pytest.fixture
def ns_factory(tag):
    with contextlib.ExitStack() as stack:
        def make(suffix):
            return stack.enter_context(nfvlib.netns(tag + suffix))
        yield make
