"""Fake providers on real local HTTP servers, for tests that talk to Twilio or Meta.

- :mod:`tests.fakes.twilio`: :class:`~tests.fakes.twilio.FakeTwilio` (Messages API, MMS
  media, scripted failures, webhook signing and forms);
- :mod:`tests.fakes.meta`: :class:`~tests.fakes.meta.FakeMeta` (Send API, attachment
  hosting, scripted failures, webhook signing and payloads);
- :mod:`tests.fakes.server`: what they share (:class:`~tests.fakes.server.Reply` for
  scripted answers, :class:`~tests.fakes.server.RecordedRequest`, the uvicorn thread).

Each fake is a context manager that starts its server on a free port of 127.0.0.1 and
stops it on exit; wrap it in a fixture::

    @pytest.fixture
    def twilio() -> Iterator[FakeTwilio]:
        with FakeTwilio() as fake:
            yield fake
"""
